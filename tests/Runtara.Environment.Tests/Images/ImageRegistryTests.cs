using System.IO.Compression;
using System.Security.Cryptography;
using Runtara.Environment.Tests.Infrastructure;
using Runtara.Management;
using Runtara.Protocol.Contracts;

namespace Runtara.Environment.Tests.Images;

/// <summary>Image registration, lookup, listing and deletion (SPEC §6.4.2–6.4.6, §14.2, §18.3), with the upload checks of §19.7.</summary>
[Collection(EnvironmentCollection.Name)]
public sealed class ImageRegistryTests(EnvironmentFixture fixture)
{
    private readonly EnvironmentHarness _env = fixture.Harness;

    [Fact]
    public async Task Registered_zip_image_is_listed_and_described_for_its_tenant()
    {
        var tenant = Ids.Tenant();
        var id = await _env.RegisterTestImageAsync(tenant, "described");

        var image = await _env.Client.GetImageAsync(id, tenant);
        var list = await _env.Client.ListImagesAsync(tenant);

        Assert.Equal("described", image.Name);
        Assert.Equal("zip", image.Format);
        Assert.Equal(TestImages.TestInstanceEntrypoint, image.Entrypoint);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(TestImages.TestInstanceZip))), image.Sha256);
        Assert.Equal(new FileInfo(TestImages.TestInstanceZip).Length, image.SizeBytes);
        Assert.Equal(1, list.TotalCount);
        Assert.Equal(id, list.Images.Single().ImageId);
    }

    [Fact]
    public async Task Another_tenant_cannot_see_get_or_delete_an_image_and_gets_the_same_answer_as_for_a_missing_one()
    {
        var owner = Ids.Tenant();
        var other = Ids.Tenant();
        var id = await _env.RegisterTestImageAsync(owner);

        var foreign = await Assert.ThrowsAsync<Management.ImageNotFoundException>(() => _env.Client.GetImageAsync(id, other));
        var missing = await Assert.ThrowsAsync<Management.ImageNotFoundException>(() => _env.Client.GetImageAsync(Guid.NewGuid().ToString(), other));
        await Assert.ThrowsAsync<Management.ImageNotFoundException>(() => _env.Client.DeleteImageAsync(id, other));
        await Assert.ThrowsAsync<Management.ImageNotFoundException>(() => _env.Client.StartInstanceAsync(new StartInstanceOptions { ImageId = id, TenantId = other }));

        Assert.Equal(foreign.Code, missing.Code);
        Assert.Equal(0, (await _env.Client.ListImagesAsync(other)).TotalCount);
        Assert.Equal(id, (await _env.Client.GetImageAsync(id, owner)).ImageId);
    }

    [Fact]
    public async Task Sha256_mismatch_is_refused_and_nothing_is_stored()
    {
        var tenant = Ids.Tenant();
        var before = StoredFiles();

        var error = await Assert.ThrowsAsync<ImageIntegrityException>(() => _env.Client.RegisterImageAsync(
            new RegisterImageOptions { TenantId = tenant, Name = "bad-sha", Sha256 = new string('0', 64), Size = 4 }, new MemoryStream("abcd"u8.ToArray())));

        Assert.Equal(EnvironmentErrorCodes.ChecksumMismatch, error.Code);
        Assert.Equal(0, (await _env.Client.ListImagesAsync(tenant)).TotalCount);
        Assert.Equal(before, StoredFiles());
    }

    [Fact]
    public async Task Size_mismatch_is_refused_and_nothing_is_stored()
    {
        var tenant = Ids.Tenant();

        var error = await Assert.ThrowsAsync<ImageIntegrityException>(() => _env.Client.RegisterImageAsync(
            new RegisterImageOptions { TenantId = tenant, Name = "bad-size", Size = 5 }, new MemoryStream("abcd"u8.ToArray())));

        Assert.Equal(EnvironmentErrorCodes.SizeMismatch, error.Code);
        Assert.Equal(0, (await _env.Client.ListImagesAsync(tenant)).TotalCount);
    }

    [Fact]
    public async Task Declared_size_over_the_limit_is_refused_before_the_upload()
    {
        var tenant = Ids.Tenant();

        var error = await Assert.ThrowsAsync<Management.ImageTooLargeException>(() => _env.Client.RegisterImageAsync(
            new RegisterImageOptions { TenantId = tenant, Name = "huge", Size = 10L * 1024 * 1024 * 1024 }, new MemoryStream(new byte[1024])));

        Assert.Equal(EnvironmentErrorCodes.ImageTooLarge, error.Code);
        Assert.Equal(0, (await _env.Client.ListImagesAsync(tenant)).TotalCount);
        // The connection the refused upload used is closed; the client carries on with a new one.
        Assert.True((await _env.Client.HealthAsync()).Healthy);
    }

    [Theory]
    [InlineData("", "name", "binary")]
    [InlineData("tenant-x", "", "binary")]
    [InlineData("tenant-x", "name", "")]
    public async Task Registration_without_tenant_name_or_content_is_refused(string tenant, string name, string content)
    {
        var error = await Assert.ThrowsAsync<ValidationException>(() => _env.Client.RegisterImageAsync(
            new RegisterImageOptions { TenantId = tenant, Name = name }, new MemoryStream(System.Text.Encoding.UTF8.GetBytes(content))));

        Assert.Equal(EnvironmentErrorCodes.InvalidArgument, error.Code);
    }

    [Fact]
    public async Task Zip_image_without_an_entrypoint_or_with_one_outside_it_is_refused()
    {
        var tenant = Ids.Tenant();
        using var zip = new MemoryStream();
        using (var archive = new ZipArchive(zip, ZipArchiveMode.Create, leaveOpen: true))
        {
            using var writer = new StreamWriter(archive.CreateEntry("readme.txt").Open());
            await writer.WriteAsync("no program here");
        }

        zip.Position = 0;
        await Assert.ThrowsAsync<ValidationException>(() => _env.Client.RegisterImageAsync(new RegisterImageOptions { TenantId = tenant, Name = "no-entry" }, zip));
        zip.Position = 0;
        await Assert.ThrowsAsync<ValidationException>(() => _env.Client.RegisterImageAsync(new RegisterImageOptions { TenantId = tenant, Name = "escape", Entrypoint = "../../etc/passwd" }, zip));
        Assert.Equal(0, (await _env.Client.ListImagesAsync(tenant)).TotalCount);
    }

    [Fact]
    public async Task Zip_of_a_native_publish_gets_its_only_executable_as_entrypoint_and_two_executables_need_one_named()
    {
        var tenant = Ids.Tenant();
        var elf = new byte[] { 0x7F, (byte)'E', (byte)'L', (byte)'F', 2, 1, 1, 0 };
        using var native = ZipOf(("MyWorkflow", elf), ("libe_sqlite3.so", elf), ("libssl.so.3", elf), ("appsettings.json", "{}"u8.ToArray()));
        var id = await _env.Client.RegisterImageAsync(new RegisterImageOptions { TenantId = tenant, Name = "native" }, native);
        Assert.Equal("MyWorkflow", (await _env.Client.GetImageAsync(id, tenant)).Entrypoint);

        using var ambiguous = ZipOf(("first", elf), ("second", elf));
        var error = await Assert.ThrowsAsync<ValidationException>(() => _env.Client.RegisterImageAsync(new RegisterImageOptions { TenantId = tenant, Name = "two" }, ambiguous));
        Assert.Contains("entrypoint", error.Message, StringComparison.Ordinal);
        ambiguous.Position = 0;
        var named = await _env.Client.RegisterImageAsync(new RegisterImageOptions { TenantId = tenant, Name = "two", Entrypoint = "second" }, ambiguous);
        Assert.Equal("second", (await _env.Client.GetImageAsync(named, tenant)).Entrypoint);
    }

    [Fact]
    public async Task Invalid_metadata_json_is_refused()
    {
        var tenant = Ids.Tenant();
        var client = _env.Client;
        var options = new RegisterImageOptions { TenantId = tenant, Name = "meta" };

        // The typed client always sends valid JSON; a raw client can send anything.
        await using var raw = new Runtara.Protocol.Rpc.RpcClient<Runtara.Protocol.Environment.RpcRequest, Runtara.Protocol.Environment.RpcResponse>(new Runtara.Protocol.Rpc.RpcClientOptions
        {
            Address = $"127.0.0.1:{_env.Port}",
            Transport = Runtara.Protocol.Transport.TransportKind.Tcp,
            Tls = { PinnedCertificatePath = Runtara.Protocol.Security.DevelopmentCertificate.CertificatePath(Path.Combine(_env.EnvironmentDataDirectory, "tls")) },
            CredentialProvider = () => _env.AdminApiKey,
        });
        var error = await Assert.ThrowsAsync<RpcException>(() => raw.CallAsync(new Runtara.Protocol.Environment.RpcRequest
        {
            RegisterImage = new Runtara.Protocol.Environment.RegisterImageRequest
            {
                TenantId = tenant, Name = "meta", Binary = Google.Protobuf.ByteString.CopyFromUtf8("#!/bin/sh"), Metadata = Google.Protobuf.ByteString.CopyFromUtf8("{not json"),
            },
        }));

        Assert.Equal(EnvironmentErrorCodes.InvalidArgument, error.Code);
        Assert.Equal(0, (await client.ListImagesAsync(options.TenantId)).TotalCount);
    }

    [Fact]
    public async Task A_single_frame_registration_stores_the_image_like_a_streamed_one()
    {
        var tenant = Ids.Tenant();
        var content = TestImages.Script("exit 0");
        await using var raw = new Runtara.Protocol.Rpc.RpcClient<Runtara.Protocol.Environment.RpcRequest, Runtara.Protocol.Environment.RpcResponse>(new Runtara.Protocol.Rpc.RpcClientOptions
        {
            Address = $"127.0.0.1:{_env.Port}",
            Transport = Runtara.Protocol.Transport.TransportKind.Tcp,
            Tls = { PinnedCertificatePath = Runtara.Protocol.Security.DevelopmentCertificate.CertificatePath(Path.Combine(_env.EnvironmentDataDirectory, "tls")) },
            CredentialProvider = () => _env.AdminApiKey,
        });

        var response = await raw.CallAsync(new Runtara.Protocol.Environment.RpcRequest
        {
            RegisterImage = new Runtara.Protocol.Environment.RegisterImageRequest { TenantId = tenant, Name = "single-frame", Binary = Google.Protobuf.ByteString.CopyFrom(content), Description = "one frame" },
        });
        var image = await _env.Client.GetImageAsync(response.RegisterImage.ImageId, tenant);

        Assert.True(response.RegisterImage.Success);
        Assert.Equal("one frame", image.Description);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(content)), image.Sha256);
        Assert.Equal("oci", image.RunnerType);
    }

    [Fact]
    public async Task Re_registering_a_name_keeps_the_image_id_and_adds_a_version_for_new_content()
    {
        var tenant = Ids.Tenant();
        var first = await _env.Client.RegisterImageAsync(new RegisterImageOptions { TenantId = tenant, Name = "same" }, new MemoryStream(TestImages.Script("exit 0")));
        var second = await _env.Client.RegisterImageAsync(new RegisterImageOptions { TenantId = tenant, Name = "same" }, new MemoryStream(TestImages.Script("exit 1")));
        var again = await _env.Client.RegisterImageAsync(new RegisterImageOptions { TenantId = tenant, Name = "same" }, new MemoryStream(TestImages.Script("exit 1")));

        var image = await _env.Client.GetImageAsync(second, tenant);
        var versions = await _env.Client.ListImageVersionsAsync("same", tenant);

        Assert.Equal(first, second);
        Assert.Equal(first, again);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(TestImages.Script("exit 1"))), image.Sha256);
        Assert.Equal(("executable", 2), (image.Format, image.Version));
        Assert.Equal(1, (await _env.Client.ListImagesAsync(tenant)).TotalCount);
        Assert.Equal([2, 1], versions.Select(v => v.Version));
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(TestImages.Script("exit 0"))), versions[1].Sha256);
        await Assert.ThrowsAsync<Management.ImageNotFoundException>(() => _env.Client.ListImageVersionsAsync(first, Ids.Tenant()));
    }

    [Fact]
    public async Task An_instance_stays_on_the_version_it_started_on_and_its_version_cannot_be_deleted_while_it_waits()
    {
        var tenant = Ids.Tenant();
        var v1 = await _env.RegisterTestImageAsync(tenant, "versioned");
        var sleeping = await _env.StartTestInstanceAsync(v1, tenant, null, o => o.Input = """{"mode":"sleep","sleep_ms":2500}""");
        await _env.WaitForStatusAsync(sleeping, InstanceStatus.Suspended);

        // Version 2 is other code under the same name: a script that fails at once.
        var v2 = await _env.Client.RegisterImageAsync(new RegisterImageOptions { TenantId = tenant, Name = "versioned" }, new MemoryStream(TestImages.Script("echo 'version 2 ran' >&2\nexit 7")));
        Assert.Equal(v1, v2);
        var inUse = await Assert.ThrowsAsync<Management.ImageInUseException>(() => _env.Client.DeleteImageVersionAsync(v1, 1, tenant));
        Assert.Contains("version 1", inUse.Message, StringComparison.Ordinal);

        var newest = await _env.Client.WaitForCompletionAsync(await _env.StartTestInstanceAsync(v1, tenant, null), new WaitOptions { PollInterval = TimeSpan.FromMilliseconds(50), Timeout = EnvironmentHarness.Deadline });
        var pinned = await _env.Client.WaitForCompletionAsync(
            await _env.StartTestInstanceAsync(v1, tenant, null, o => o.ImageVersion = 1), new WaitOptions { PollInterval = TimeSpan.FromMilliseconds(50), Timeout = EnvironmentHarness.Deadline });
        var woken = await _env.WaitForEndAsync(sleeping);

        Assert.Equal((InstanceStatus.Failed, 2), (newest.Status, newest.ImageVersion));
        Assert.Contains("version 2 ran", newest.Stderr, StringComparison.Ordinal);
        Assert.True(pinned.Status == InstanceStatus.Completed, $"{pinned.Status}: {pinned.Error}");
        Assert.Equal(1, pinned.ImageVersion);
        // The wake-up relaunched the test instance (version 1), not the script.
        Assert.True(woken.Status == InstanceStatus.Completed, $"{woken.Status}: {woken.Error}\n{woken.Stderr}");
        Assert.True(woken.Output!.Value.GetProperty("woke").GetBoolean());
        Assert.Equal((1, 2), (woken.ImageVersion, woken.LaunchCount));

        // Finished instances do not hold a version: deleting 1 now works (its content stays while other images use it).
        await _env.Client.DeleteImageVersionAsync(v1, 1, tenant);
        Assert.Equal([2], (await _env.Client.ListImageVersionsAsync("versioned", tenant)).Select(v => v.Version));
        await Assert.ThrowsAsync<Management.ImageNotFoundException>(() => _env.StartTestInstanceAsync(v1, tenant, null, o => o.ImageVersion = 1));
    }

    [Fact]
    public async Task Deleting_an_image_removes_it_and_its_content()
    {
        var tenant = Ids.Tenant();
        var content = TestImages.Script($"echo {Guid.NewGuid()}");
        var id = await _env.Client.RegisterImageAsync(new RegisterImageOptions { TenantId = tenant, Name = "doomed" }, new MemoryStream(content));
        var blob = Path.Combine(_env.EnvironmentDataDirectory, "images", "blobs", Convert.ToHexStringLower(SHA256.HashData(content)));
        Assert.True(File.Exists(blob));

        // A second version keeps the first's content: instances pinned to version 1 relaunch on it.
        var newer = TestImages.Script($"echo {Guid.NewGuid()}");
        await _env.Client.RegisterImageAsync(new RegisterImageOptions { TenantId = tenant, Name = "doomed" }, new MemoryStream(newer));
        var newerBlob = Path.Combine(_env.EnvironmentDataDirectory, "images", "blobs", Convert.ToHexStringLower(SHA256.HashData(newer)));
        Assert.True(File.Exists(blob));

        await _env.Client.DeleteImageAsync(id, tenant);

        Assert.False(File.Exists(newerBlob));
        await Assert.ThrowsAsync<Management.ImageNotFoundException>(() => _env.Client.GetImageAsync(id, tenant));
        await Assert.ThrowsAsync<Management.ImageNotFoundException>(() => _env.Client.DeleteImageAsync(id, tenant));
        Assert.False(File.Exists(blob));
    }

    [Fact]
    public async Task A_single_executable_image_runs_and_its_unreported_exit_fails_the_instance()
    {
        var tenant = Ids.Tenant();
        var id = await _env.Client.RegisterImageAsync(new RegisterImageOptions { TenantId = tenant, Name = "script" }, new MemoryStream(TestImages.Script("echo 'script ran' >&2\nexit 7")));

        var instance = await _env.StartTestInstanceAsync(id, tenant, null);
        var info = await _env.Client.WaitForCompletionAsync(instance, new WaitOptions { PollInterval = TimeSpan.FromMilliseconds(50), Timeout = TimeSpan.FromSeconds(30) });

        Assert.Equal(InstanceStatus.Failed, info.Status);
        Assert.Equal(7, info.ExitCode);
        Assert.Contains("script ran", info.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Health_reports_the_database_and_active_instances()
    {
        var health = await _env.Client.HealthAsync();

        Assert.True(health.Healthy);
        Assert.False(string.IsNullOrEmpty(health.Version));
        Assert.True(health.UptimeMs >= 0);
    }

    private string[] StoredFiles() =>
        [.. Directory.GetFiles(Path.Combine(_env.EnvironmentDataDirectory, "images"), "*", SearchOption.AllDirectories).Where(f => !f.Contains("uploads", StringComparison.Ordinal)).Order()];

    private static MemoryStream ZipOf(params (string Name, byte[] Content)[] files)
    {
        var zip = new MemoryStream();
        using (var archive = new ZipArchive(zip, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (var (name, content) in files)
            {
                using var entry = archive.CreateEntry(name).Open();
                entry.Write(content);
            }
        }

        zip.Position = 0;
        return zip;
    }
}
