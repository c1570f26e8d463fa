using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using static Runtara.Hosting.Tests.ModelHelpers;

namespace Runtara.Hosting.Tests;

/// <summary>What AddReplica puts in the application model: shared database, keys and certificate, and the address lists.</summary>
public sealed class ReplicaModelTests
{
    [Fact(Timeout = 30_000)]
    public async Task A_core_replica_shares_the_database_token_key_and_certificate_and_the_environment_gets_both_addresses()
    {
        var (builder, core, environment) = Platform();
        var replica = core.AddReplica("core-2", instancePort: 8101, managementPort: 8103);
        AllocateAll(core.Resource, replica.Resource, environment.Resource);

        var coreVariables = await VariablesAsync(core.Resource);
        var replicaVariables = await VariablesAsync(replica.Resource);
        var environmentVariables = await VariablesAsync(environment.Resource);

        Assert.Equal(coreVariables["Runtara__Core__Security__Keys__aspire"], replicaVariables["Runtara__Core__Security__Keys__aspire"]);
        Assert.Equal("Host=db;Database=runtara", replicaVariables["Runtara__Core__PostgresConnectionString"]);
        Assert.Equal("/srv/runtara/core/tls", replicaVariables["Runtara__Core__Tls__DevelopmentCertificateDirectory"]);
        Assert.Equal(Path.Combine(builder.AppHostDirectory, ".runtara", "core-2"), replicaVariables["Runtara__Core__DataDirectory"]);
        Assert.Equal(core.Resource.CertificatePath, replica.Resource.CertificatePath);
        Assert.Contains(replica.Resource.Annotations.OfType<WaitAnnotation>(), w => w.Resource == core.Resource);

        Assert.Equal("tcp://127.0.0.1:8003,tcp://127.0.0.1:8103", environmentVariables["Runtara__Environment__CoreAddress"]);
        Assert.Equal("tcp://127.0.0.1:8001,tcp://127.0.0.1:8101", environmentVariables["Runtara__Environment__CoreInstanceAddress"]);
        // A socket reaches one core only; instances fail over along the address list instead.
        Assert.False(environmentVariables.ContainsKey("Runtara__Environment__CoreInstanceSocket"));
        Assert.Equal([replica.Resource], core.Resource.Replicas);
    }

    [Fact(Timeout = 30_000)]
    public async Task An_environment_replica_uses_the_same_core_database_api_key_and_certificate_with_a_data_directory_of_its_own()
    {
        var (builder, core, environment) = Platform();
        core.AddReplica("core-2");
        var replica = environment.AddReplica("environment-2", port: 8102);
        AllocateAll([core.Resource, .. core.Resource.Replicas, environment.Resource, replica.Resource]);

        var primaryVariables = await VariablesAsync(environment.Resource);
        var replicaVariables = await VariablesAsync(replica.Resource);

        foreach (var shared in (string[])["Runtara__Environment__CoreAddress", "Runtara__Environment__CoreInstanceAddress", "Runtara__Environment__CoreTls__PinnedCertificatePath",
            "Runtara__Environment__Security__Keys__aspire", "Runtara__Environment__ApiKeys__aspire__Key", "Runtara__Environment__PostgresConnectionString"])
        {
            Assert.Equal(primaryVariables[shared], replicaVariables[shared]);
        }

        Assert.Equal("/srv/runtara/env/tls", replicaVariables["Runtara__Environment__Tls__DevelopmentCertificateDirectory"]);
        Assert.Equal(Path.Combine(builder.AppHostDirectory, ".runtara", "environment-2"), replicaVariables["Runtara__Environment__DataDirectory"]);
        Assert.Equal(environment.Resource.CertificatePath, replica.Resource.CertificatePath);
        Assert.Contains(replica.Resource.Annotations.OfType<WaitAnnotation>(), w => w.Resource == environment.Resource);
        Assert.Contains(replica.Resource.Annotations.OfType<WaitAnnotation>(), w => w.Resource == core.Resource);
        Assert.StartsWith("Endpoint=tcp://127.0.0.1:8102;PinnedCertificatePath=/srv/runtara/env/tls/runtara-dev.crt;PinnedCertificateSha256=;ApiKey=",
            await ((IResourceWithConnectionString)replica.Resource).GetConnectionStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public void Replicas_are_added_to_the_primary_and_an_environment_needs_its_core_first()
    {
        var builder = DistributedApplication.CreateBuilder();
        var core = builder.AddRuntaraCore("core");
        var replica = core.AddReplica("core-2");
        var lonely = builder.AddRuntaraEnvironment("environment");

        Assert.Contains("add replicas to its primary 'core'", Assert.Throws<ArgumentException>(() => replica.AddReplica("core-3")).Message, StringComparison.Ordinal);
        Assert.Contains("Call WithReference(core)", Assert.Throws<InvalidOperationException>(() => lonely.AddReplica("environment-2")).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Replicas_without_postgres_refuse_to_start()
    {
        var builder = DistributedApplication.CreateBuilder();
        var core = builder.AddRuntaraCore("core");
        core.AddReplica("core-2");

        var error = Assert.Throws<DistributedApplicationException>(() => RuntaraReplicaExtensions.EnsureDatabase(core.Resource, core.Resource.Database));

        Assert.Contains("'core' has replicas but no PostgreSQL database", error.Message, StringComparison.Ordinal);
    }

    private static (IDistributedApplicationBuilder Builder, IResourceBuilder<RuntaraCoreResource> Core, IResourceBuilder<RuntaraEnvironmentResource> Environment) Platform()
    {
        var builder = DistributedApplication.CreateBuilder();
        builder.Configuration["ConnectionStrings:runtara-postgres"] = "Host=db;Database=runtara";
        var postgres = builder.AddConnectionString("runtara-postgres");
        var core = builder.AddRuntaraCore("core").WithDataDirectory("/srv/runtara/core").WithPostgres(postgres);
        var environment = builder.AddRuntaraEnvironment("environment").WithDataDirectory("/srv/runtara/env").WithReference(core).WithPostgres(postgres);
        return (builder, core, environment);
    }
}
