using Aspire.Hosting.ApplicationModel;
using Runtara.Protocol.Contracts;
using Runtara.Protocol.Transport;

namespace Aspire.Hosting;

/// <summary>
/// Adds the Runtara platform to an Aspire AppHost:
/// <code>
/// var core = builder.AddRuntaraCore("core");
/// builder.AddRuntaraEnvironment("environment").WithReference(core);
/// </code>
/// The protocol ports are non-proxied TCP endpoints (a QUIC listener shares the port number over UDP,
/// which a proxy would not forward); each service gets its port through its configuration key
/// (<c>Runtara__Core__InstancePort</c>, …) and is healthy when its <c>/health</c> answers.
/// </summary>
public static class RuntaraHostingExtensions
{
    private const string HealthPath = "/health";

    /// <summary>
    /// The host of the protocol endpoints, written the same way everywhere the AppHost hands them out
    /// (connection strings, <c>services__…</c> entries, the environment's core addresses, the AppHost's own
    /// client): the services bind their protocol ports to 127.0.0.1 by default, and the CLI's default
    /// address is <c>127.0.0.1:8002</c>. (Aspire's default, <c>localhost</c>, may resolve to ::1 first.)
    /// </summary>
    internal const string ProtocolHost = "127.0.0.1";

    // Id of the AppHost's token key and name of its API key in the services' configuration.
    private const string AspireKeyId = "aspire";

    /// <summary>Adds the core of this repository (Runtara.Core) as <paramref name="name"/>.</summary>
    public static IResourceBuilder<RuntaraCoreResource> AddRuntaraCore(this IDistributedApplicationBuilder builder, [ResourceName] string name,
        int? instancePort = RuntaraPorts.Instance, int? managementPort = RuntaraPorts.Management) =>
        builder.AddRuntaraCore(name, RuntaraProjects.Core, instancePort, managementPort);

    /// <summary>Adds a core built from <typeparamref name="TProject"/> (a project that calls <c>AddRuntaraCore()</c>).</summary>
    public static IResourceBuilder<RuntaraCoreResource> AddRuntaraCore<TProject>(this IDistributedApplicationBuilder builder, [ResourceName] string name,
        int? instancePort = RuntaraPorts.Instance, int? managementPort = RuntaraPorts.Management)
        where TProject : IProjectMetadata, new() =>
        builder.AddRuntaraCore(name, new TProject(), instancePort, managementPort);

    /// <summary>Adds the environment of this repository (Runtara.Environment) as <paramref name="name"/>.</summary>
    public static IResourceBuilder<RuntaraEnvironmentResource> AddRuntaraEnvironment(this IDistributedApplicationBuilder builder, [ResourceName] string name,
        int? port = RuntaraPorts.Environment) =>
        builder.AddRuntaraEnvironment(name, RuntaraProjects.Environment, port);

    /// <summary>Adds an environment built from <typeparamref name="TProject"/> (a project that calls <c>AddRuntaraEnvironment()</c>).</summary>
    public static IResourceBuilder<RuntaraEnvironmentResource> AddRuntaraEnvironment<TProject>(this IDistributedApplicationBuilder builder, [ResourceName] string name,
        int? port = RuntaraPorts.Environment)
        where TProject : IProjectMetadata, new() =>
        builder.AddRuntaraEnvironment(name, new TProject(), port);

    /// <summary>Adds a core resource; a replica passes its primary's token key instead of getting a key of its own.</summary>
    internal static IResourceBuilder<RuntaraCoreResource> AddRuntaraCore(this IDistributedApplicationBuilder builder, string name, IProjectMetadata project, int? instancePort, int? managementPort,
        ParameterResource? sharedTokenKey = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        // 44 characters of [A-Za-z0-9] are valid base64 of 33 bytes, the HMAC key the core expects (>= 32 bytes).
        var tokenKey = sharedTokenKey
            ?? builder.AddParameter($"{name}-token-key", new GenerateParameterDefault { MinLength = 44, Special = false }, secret: true, persist: true).Resource;
        var core = new RuntaraCoreResource(name, tokenKey) { DataDirectory = DefaultDataDirectory(builder, name) };
        return builder.AddResource(core)
            .WithProject(project)
            .WithEndpoint(port: instancePort, name: RuntaraCoreResource.InstanceEndpointName, scheme: "tcp", env: "Runtara__Core__InstancePort", isProxied: false)
            .WithEndpoint(RuntaraCoreResource.InstanceEndpointName, e => e.TargetHost = ProtocolHost)
            .WithEndpoint(port: managementPort, name: RuntaraCoreResource.ManagementEndpointName, scheme: "tcp", env: "Runtara__Core__ManagementPort", isProxied: false)
            .WithEndpoint(RuntaraCoreResource.ManagementEndpointName, e => e.TargetHost = ProtocolHost)
            .WithEnvironment(context => context.EnvironmentVariables["Runtara__Core__DataDirectory"] = core.DataDirectory)
            .WithEnvironment(context => context.EnvironmentVariables[$"Runtara__Core__Security__Keys__{AspireKeyId}"] = core.TokenKey)
            .WithHttpHealthCheck(HealthPath);
    }

    /// <summary>Adds an environment resource; a replica passes its primary's API key instead of getting a key of its own.</summary>
    internal static IResourceBuilder<RuntaraEnvironmentResource> AddRuntaraEnvironment(this IDistributedApplicationBuilder builder, string name, IProjectMetadata project, int? port,
        ParameterResource? sharedApiKey = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var apiKey = sharedApiKey
            ?? builder.AddParameter($"{name}-api-key", new GenerateParameterDefault { MinLength = 32, Special = false }, secret: true, persist: true).Resource;
        var environment = new RuntaraEnvironmentResource(name, apiKey) { DataDirectory = DefaultDataDirectory(builder, name) };
        // The connection string's fingerprint is read before the environment has started (a replica's primary makes it).
        builder.Eventing.Subscribe<BeforeStartEvent>((_, _) =>
        {
            if (environment.Primary is null)
            {
                CertificateFingerprintReference.EnsureCertificate(environment.CertificatePath);
            }

            return Task.CompletedTask;
        });
        return builder.AddResource(environment)
            .WithProject(project)
            .WithEndpoint(port: port, name: RuntaraEnvironmentResource.ProtocolEndpointName, scheme: "tcp", env: "Runtara__Environment__Port", isProxied: false)
            .WithEndpoint(RuntaraEnvironmentResource.ProtocolEndpointName, e => e.TargetHost = ProtocolHost)
            .WithEnvironment(context => context.EnvironmentVariables["Runtara__Environment__DataDirectory"] = environment.DataDirectory)
            .WithEnvironment(context => context.EnvironmentVariables[$"Runtara__Environment__ApiKeys__{AspireKeyId}__Key"] = environment.ApiKey)
            .WithEnvironment($"Runtara__Environment__ApiKeys__{AspireKeyId}__Tenants__0", "*")
            .WithHttpHealthCheck(HealthPath);
    }

    /// <summary>
    /// Connects the environment to the core: service discovery of the core's endpoints
    /// (<c>services__core__management__0=tcp://127.0.0.1:8003</c>, …), the core's addresses — with its replicas,
    /// a comma-separated list, primary first, which the environment and its instances fail over along — and
    /// certificate to pin in the environment's settings (also handed to the instances it launches), the core's
    /// instance socket (which instances on this machine use when it exists; not with replicas, whose failover
    /// needs the address list), the core's token key (the environment mints instance and service tokens with
    /// it), and start after the core is healthy.
    /// </summary>
    public static IResourceBuilder<RuntaraEnvironmentResource> WithReference(this IResourceBuilder<RuntaraEnvironmentResource> environment, IResourceBuilder<RuntaraCoreResource> core)
    {
        ArgumentNullException.ThrowIfNull(environment);
        ArgumentNullException.ThrowIfNull(core);
        var resource = core.Resource;
        environment.Resource.Core = resource;
        return environment
            .WithReference((IResourceBuilder<IResourceWithServiceDiscovery>)core)
            .WithEnvironment(context =>
            {
                // Read when the environment starts, so replicas added after this call are in the lists.
                context.EnvironmentVariables["Runtara__Environment__CoreAddress"] = AddressList(resource, r => r.ManagementEndpoint);
                context.EnvironmentVariables["Runtara__Environment__CoreInstanceAddress"] = AddressList(resource, r => r.InstanceEndpoint);
                if (resource.Replicas.Count == 0)
                {
                    context.EnvironmentVariables["Runtara__Environment__CoreInstanceSocket"] = Path.Combine(resource.DataDirectory, "instance.sock");
                }

                context.EnvironmentVariables["Runtara__Environment__CoreTls__PinnedCertificatePath"] = resource.CertificatePath;
                context.EnvironmentVariables[$"Runtara__Environment__Security__Keys__{AspireKeyId}"] = resource.TokenKey;
            })
            .WaitFor(core);
    }

    /// <summary>The URLs of one endpoint of a core and its replicas, comma-separated, primary first.</summary>
    private static ReferenceExpression AddressList(RuntaraCoreResource core, Func<RuntaraCoreResource, EndpointReference> endpoint)
    {
        var list = new ReferenceExpressionBuilder();
        foreach (var replica in core.AllReplicas)
        {
            if (replica != core)
            {
                list.AppendLiteral(",");
            }

            list.AppendFormatted(endpoint(replica).Property(EndpointProperty.Url));
        }

        return list.Build();
    }

    /// <summary>
    /// Gives another resource the environment's connection string (<c>ConnectionStrings__&lt;name&gt;</c>:
    /// address, certificate to pin by path and by SHA-256 fingerprint, API key; read by
    /// <c>AddRuntaraManagementClient</c>) and its service-discovery endpoints.
    /// </summary>
    public static IResourceBuilder<TDestination> WithReference<TDestination>(this IResourceBuilder<TDestination> builder, IResourceBuilder<RuntaraEnvironmentResource> environment, string? connectionName = null)
        where TDestination : IResourceWithEnvironment
        => builder.WithConnectionAndDiscovery(environment, connectionName);

    /// <summary>
    /// Gives another resource (an instance program run directly) the core's connection string
    /// (<c>ConnectionStrings__&lt;name&gt;</c> = the instance-protocol URL, read by Runtara.Sdk's
    /// <c>AddRuntaraInstance("&lt;name&gt;")</c>), its service-discovery endpoints and the certificate to pin
    /// (<c>RUNTARA_TLS_PINNED_CERT</c>).
    /// </summary>
    public static IResourceBuilder<TDestination> WithReference<TDestination>(this IResourceBuilder<TDestination> builder, IResourceBuilder<RuntaraCoreResource> core, string? connectionName = null)
        where TDestination : IResourceWithEnvironment
        => builder.WithConnectionAndDiscovery(core, connectionName)
            .WithEnvironment(context => context.EnvironmentVariables[LaunchVariables.PinnedCertificate] = core.Resource.CertificatePath);

    /// <summary>Stores the core's data (SQLite file, certificate) in <paramref name="path"/> (relative to the AppHost directory); default <c>.runtara/&lt;name&gt;</c> there.</summary>
    public static IResourceBuilder<RuntaraCoreResource> WithDataDirectory(this IResourceBuilder<RuntaraCoreResource> core, string path)
    {
        ArgumentNullException.ThrowIfNull(core);
        core.Resource.DataDirectory = FullPath(core.ApplicationBuilder, path);
        return core;
    }

    /// <summary>Stores the environment's data (images, runs, SQLite file, certificate) in <paramref name="path"/> (relative to the AppHost directory).</summary>
    public static IResourceBuilder<RuntaraEnvironmentResource> WithDataDirectory(this IResourceBuilder<RuntaraEnvironmentResource> environment, string path)
    {
        ArgumentNullException.ThrowIfNull(environment);
        environment.Resource.DataDirectory = FullPath(environment.ApplicationBuilder, path);
        return environment;
    }

    /// <summary>Stores the core in PostgreSQL (the connection string of <paramref name="database"/>, e.g. <c>AddConnectionString("runtara-postgres")</c>) instead of SQLite.</summary>
    public static IResourceBuilder<RuntaraCoreResource> WithPostgres(this IResourceBuilder<RuntaraCoreResource> core, IResourceBuilder<IResourceWithConnectionString> database)
    {
        ArgumentNullException.ThrowIfNull(core);
        ArgumentNullException.ThrowIfNull(database);
        core.Resource.Database = database.Resource;
        return core.WithEnvironment("Runtara__Core__PostgresConnectionString", database).WithReferenceRelationship(database);
    }

    /// <summary>Stores the environment in PostgreSQL instead of SQLite (its tables do not clash with the core's, so one database can hold both).</summary>
    public static IResourceBuilder<RuntaraEnvironmentResource> WithPostgres(this IResourceBuilder<RuntaraEnvironmentResource> environment, IResourceBuilder<IResourceWithConnectionString> database)
    {
        ArgumentNullException.ThrowIfNull(environment);
        ArgumentNullException.ThrowIfNull(database);
        environment.Resource.Database = database.Resource;
        return environment.WithEnvironment("Runtara__Environment__PostgresConnectionString", database).WithReferenceRelationship(database);
    }

    /// <summary>Transport of the core's protocol servers: Auto (QUIC where msquic exists, plus TLS/TCP), Tcp or Quic.</summary>
    public static IResourceBuilder<RuntaraCoreResource> WithTransport(this IResourceBuilder<RuntaraCoreResource> core, TransportKind transport)
    {
        ArgumentNullException.ThrowIfNull(core);
        return core.WithEnvironment("Runtara__Core__Transport", transport.ToString());
    }

    /// <summary>Transport of the environment's server, its link to the core and the instances it launches.</summary>
    public static IResourceBuilder<RuntaraEnvironmentResource> WithTransport(this IResourceBuilder<RuntaraEnvironmentResource> environment, TransportKind transport)
    {
        ArgumentNullException.ThrowIfNull(environment);
        return environment.WithEnvironment("Runtara__Environment__Transport", transport.ToString());
    }

    /// <summary>Tenant of the AppHost's own calls to the environment (image registration, dashboard commands); default <c>aspire</c>.</summary>
    public static IResourceBuilder<RuntaraEnvironmentResource> WithTenant(this IResourceBuilder<RuntaraEnvironmentResource> environment, string tenantId)
    {
        ArgumentNullException.ThrowIfNull(environment);
        ArgumentException.ThrowIfNullOrWhiteSpace(tenantId);
        environment.Resource.TenantId = tenantId;
        return environment;
    }

    // Our resources are both IResourceWithConnectionString and IResourceWithServiceDiscovery, which makes
    // Aspire's own WithReference ambiguous for them; these overloads take the exact type and do both.
    private static IResourceBuilder<TDestination> WithConnectionAndDiscovery<TDestination, TSource>(this IResourceBuilder<TDestination> builder, IResourceBuilder<TSource> source, string? connectionName)
        where TDestination : IResourceWithEnvironment
        where TSource : class, IResourceWithConnectionString, IResourceWithServiceDiscovery
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(source);
        return builder
            .WithReference((IResourceBuilder<IResourceWithConnectionString>)source, connectionName)
            .WithReference((IResourceBuilder<IResourceWithServiceDiscovery>)source);
    }

    private static IResourceBuilder<T> WithProject<T>(this IResourceBuilder<T> builder, IProjectMetadata project)
        where T : ProjectResource =>
        builder.WithAnnotation(project)
            .WithProjectDefaults(new ProjectResourceOptions())
            // The launch profiles spell the health endpoint's host two ways (the core's localhost:8011, the
            // environment's 127.0.0.1:5202); the dashboard and the health checks use the protocol's spelling.
            .WithEndpoint("http", e => e.TargetHost = ProtocolHost, createIfNotExists: false)
            // The services' appsettings.json set "Urls" (8011, …), which outranks the ASPNETCORE_URLS
            // Aspire sets; an unprefixed URLS variable outranks appsettings.json.
            .WithEnvironment(context =>
            {
                if (context.EnvironmentVariables.TryGetValue("ASPNETCORE_URLS", out var urls))
                {
                    context.EnvironmentVariables["URLS"] = urls;
                }
            });

    internal static string DefaultDataDirectory(IDistributedApplicationBuilder builder, string name) => FullPath(builder, Path.Combine(".runtara", name));

    internal static string FullPath(IDistributedApplicationBuilder builder, string path) => Path.GetFullPath(path, builder.AppHostDirectory);
}
