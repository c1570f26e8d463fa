using Runtara.Environment.Tests.Infrastructure;
using Runtara.Management;
using Runtara.Protocol.Contracts;
using Runtara.Protocol.Security;

namespace Runtara.Environment.Tests.Security;

/// <summary>
/// A local run with nothing configured (docs/security.md): the environment signs with the keys the
/// core generated next to its development certificate, and a client pinning the environment's
/// development certificate finds the API key the environment generated. Still nothing is open.
/// </summary>
[Collection(EnvironmentCollection.Name)]
public sealed class ZeroSetupTests(EnvironmentFixture fixture)
{
    private readonly EnvironmentHarness _env = fixture.Harness;

    private string Certificate => DevelopmentCertificate.CertificatePath(Path.Combine(_env.EnvironmentDataDirectory, "tls"));

    [Fact]
    public async Task The_environment_uses_the_cores_generated_keys_and_clients_find_the_generated_api_key()
    {
        // The environment generated no key file of its own: it found the core's.
        Assert.False(File.Exists(TestCredentials.KeyFile(_env.EnvironmentDataDirectory)));
        Assert.True(File.Exists(TestCredentials.KeyFile(Path.Combine(_env.Root, "core"))));

        await using var client = new RuntaraManagementClient(new ManagementClientOptions
        {
            Address = $"127.0.0.1:{_env.Port}",
            Transport = Protocol.Transport.TransportKind.Tcp,
            PinnedCertificatePath = Certificate,
        });
        Assert.True((await client.HealthAsync()).Healthy);

        // A run through the core proves the environment's service token and the instance token.
        var tenant = Ids.Tenant();
        var image = await client.RegisterImageFromFileAsync(TestImages.TestInstanceZip, new RegisterImageOptions { TenantId = tenant, Name = "zero-setup", Entrypoint = TestImages.TestInstanceEntrypoint });
        var id = await client.StartInstanceAsync(new StartInstanceOptions { ImageId = image, TenantId = tenant });
        var info = await client.WaitForCompletionAsync(id, new WaitOptions { PollInterval = TimeSpan.FromMilliseconds(50), Timeout = TimeSpan.FromSeconds(45) });
        Assert.True(info.Status == InstanceStatus.Completed, $"{info.Status}: {info.Error}\n{info.Stderr}");
    }

    [Fact]
    public async Task Without_the_certificate_next_to_the_key_there_is_no_key_and_no_access()
    {
        // Trusting the certificate some other way (a copy elsewhere) gives no key: refused.
        var copy = Path.Combine(_env.Root, $"copy-{Guid.NewGuid():N}.crt");
        File.Copy(Certificate, copy);
        await using var client = new RuntaraManagementClient(new ManagementClientOptions
        {
            Address = $"127.0.0.1:{_env.Port}",
            Transport = Protocol.Transport.TransportKind.Tcp,
            PinnedCertificatePath = copy,
        });
        Assert.Equal(RpcErrorCodes.Unauthenticated, (await Assert.ThrowsAnyAsync<ManagementException>(() => client.HealthAsync())).Code);
    }
}
