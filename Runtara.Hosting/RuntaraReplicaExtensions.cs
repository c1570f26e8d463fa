using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Lifecycle;

namespace Aspire.Hosting;

/// <summary>
/// Several cores and environments on one PostgreSQL database (docs/deployment.md):
/// <code>
/// var core = builder.AddRuntaraCore("core").WithPostgres(postgres);
/// core.AddReplica("core-2");
/// var environment = builder.AddRuntaraEnvironment("environment").WithReference(core).WithPostgres(postgres);
/// environment.AddReplica("environment-2");
/// </code>
/// Each replica is a resource of its own (the dashboard lists it, with its own logs and health), not an
/// Aspire replica of one resource: the protocol ports are non-proxied, so every replica needs ports of its own.
/// </summary>
public static class RuntaraReplicaExtensions
{
    /// <summary>
    /// Adds another core process that serves the same instances: it uses <paramref name="core"/>'s PostgreSQL
    /// database, token key and TLS certificate (so one pinned certificate fits every core), and starts after
    /// it. Environments that reference <paramref name="core"/> get every core's address, primary first.
    /// Needs <c>WithPostgres</c> on <paramref name="core"/> (checked when the application starts).
    /// </summary>
    public static IResourceBuilder<RuntaraCoreResource> AddReplica(this IResourceBuilder<RuntaraCoreResource> core, [ResourceName] string name,
        int? instancePort = null, int? managementPort = null)
    {
        ArgumentNullException.ThrowIfNull(core);
        var primary = PrimaryOf(core.Resource.Primary, core.Resource);
        var builder = core.ApplicationBuilder;
        var replica = builder.AddRuntaraCore(name, primary.GetProjectMetadata(), instancePort, managementPort, sharedTokenKey: primary.TokenKey);
        replica.Resource.Primary = primary;
        // The primary applies migrations and creates the shared development certificate first.
        return replica.ShareWithPrimary(primary, primary.ReplicaList, "Core", () => primary.Database, () => primary.CertificatePath);
    }

    /// <summary>
    /// Adds another environment process that shares the work of <paramref name="environment"/>: the same
    /// core (all its addresses), PostgreSQL database, API key and TLS certificate, with a data directory and
    /// an environment id of its own. Call it after <c>WithReference(core)</c>; it needs <c>WithPostgres</c>
    /// on <paramref name="environment"/> (checked when the application starts). Images are registered once,
    /// through the primary; every environment can run them (docs/environment.md, "Several environments").
    /// </summary>
    public static IResourceBuilder<RuntaraEnvironmentResource> AddReplica(this IResourceBuilder<RuntaraEnvironmentResource> environment, [ResourceName] string name,
        int? port = null)
    {
        ArgumentNullException.ThrowIfNull(environment);
        var primary = PrimaryOf(environment.Resource.Primary, environment.Resource);
        var core = primary.Core
            ?? throw new InvalidOperationException($"Call WithReference(core) on the environment '{primary.Name}' before adding replicas to it: a replica uses the same core.");
        var builder = environment.ApplicationBuilder;
        var replica = builder.AddRuntaraEnvironment(name, primary.GetProjectMetadata(), port, sharedApiKey: primary.ApiKey)
            .WithReference(builder.CreateResourceBuilder(core));
        replica.Resource.Primary = primary;
        replica.Resource.TenantId = primary.TenantId;
        return replica.ShareWithPrimary(primary, primary.ReplicaList, "Environment", () => primary.Database, () => primary.CertificatePath);
    }

    /// <summary>
    /// What every replica takes from its primary: the PostgreSQL database, the development certificate (so one pinned
    /// certificate fits all), and a start after the primary; the database is checked once, when the application starts.
    /// </summary>
    private static IResourceBuilder<T> ShareWithPrimary<T>(this IResourceBuilder<T> replica, T primary, List<T> replicas, string section,
        Func<IResourceWithConnectionString?> database, Func<string> certificatePath)
        where T : ProjectResource
    {
        replicas.Add(replica.Resource);
        if (replicas.Count == 1)
        {
            RequireDatabaseAtStart(replica.ApplicationBuilder, primary, database);
        }

        return replica
            .WithEnvironment(context =>
            {
                if (database() is { } shared)
                {
                    context.EnvironmentVariables[$"Runtara__{section}__PostgresConnectionString"] = shared;
                }

                context.EnvironmentVariables[$"Runtara__{section}__Tls__DevelopmentCertificateDirectory"] = Path.GetDirectoryName(certificatePath())!;
            })
            .WaitFor(replica.ApplicationBuilder.CreateResourceBuilder(primary));
    }

    private static T PrimaryOf<T>(T? primary, T resource)
        where T : class, IResource =>
        primary is null
            ? resource
            : throw new ArgumentException($"'{resource.Name}' is a replica; add replicas to its primary '{primary.Name}'.", nameof(resource));

    /// <summary>Throws when a primary with replicas has no PostgreSQL database (what the application checks at start).</summary>
    internal static void EnsureDatabase(IResource primary, IResourceWithConnectionString? database)
    {
        // Replicas on SQLite files would each have a database of their own: refuse to start rather than split the work.
        if (database is null)
        {
            throw new DistributedApplicationException($"'{primary.Name}' has replicas but no PostgreSQL database: call WithPostgres on it (replicas share one database).");
        }
    }

    // Checked at start, not here: WithPostgres may come after AddReplica. One check per primary, at its first replica.
    private static void RequireDatabaseAtStart(IDistributedApplicationBuilder builder, IResource primary, Func<IResourceWithConnectionString?> database)
    {
        builder.Eventing.Subscribe<BeforeStartEvent>((_, _) =>
        {
            EnsureDatabase(primary, database());
            return Task.CompletedTask;
        });
    }
}
