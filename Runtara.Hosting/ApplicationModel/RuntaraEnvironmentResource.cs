namespace Aspire.Hosting.ApplicationModel;

/// <summary>
/// The Runtara environment as an Aspire project resource: an HTTP endpoint for <c>/health</c> and the
/// non-proxied TCP endpoint <c>environment</c> (management clients and the CLI → environment). Its
/// connection string carries the address and the certificate to pin, by path and by SHA-256 fingerprint (which
/// also works from a container or another machine),
/// <c>Endpoint=tcp://127.0.0.1:8002;PinnedCertificatePath=…;PinnedCertificateSha256=…;ApiKey=…</c>, which
/// <c>builder.AddRuntaraManagementClient("environment")</c> in Runtara.Management reads.
/// </summary>
public sealed class RuntaraEnvironmentResource(string name, ParameterResource apiKey) : ProjectResource(name), IResourceWithConnectionString
{
    /// <summary>Endpoint name of the environment protocol.</summary>
    public const string ProtocolEndpointName = "environment";

    private EndpointReference? _protocol;
    private CertificateFingerprintReference? _fingerprint;

    /// <summary>The environment protocol (default port 8002).</summary>
    public EndpointReference ProtocolEndpoint => _protocol ??= new(this, ProtocolEndpointName);

    /// <summary>Absolute data directory handed to the environment (images, runs, SQLite file, development certificate).</summary>
    public string DataDirectory { get; internal set; } = string.Empty;

    /// <summary>Secret parameter with the all-tenant API key of the AppHost and the clients it references (<c>Runtara:Environment:ApiKeys:aspire</c>).</summary>
    public ParameterResource ApiKey { get; } = apiKey;

    /// <summary>The development certificate the environment generates; management clients pin it. Replicas present their primary's.</summary>
    public string CertificatePath => Primary?.CertificatePath ?? RuntaraPaths.DevelopmentCertificate(DataDirectory);

    /// <summary>SHA-256 fingerprint of <see cref="CertificatePath"/>'s certificate, known once the application starts.</summary>
    internal CertificateFingerprintReference CertificateFingerprint => _fingerprint ??= new(this, () => CertificatePath);

    /// <summary>The environment this one is a replica of (<c>AddReplica</c>): same core, database, API key and certificate; null for a primary.</summary>
    public RuntaraEnvironmentResource? Primary { get; internal set; }

    /// <summary>The replicas of this environment, in the order they were added.</summary>
    public IReadOnlyList<RuntaraEnvironmentResource> Replicas => ReplicaList;

    /// <summary>The core of <c>WithReference(core)</c>; null until it is called.</summary>
    public RuntaraCoreResource? Core { get; internal set; }

    /// <summary>The PostgreSQL database of <c>WithPostgres</c>, which replicas share; null while the environment uses SQLite.</summary>
    public IResourceWithConnectionString? Database { get; internal set; }

    internal List<RuntaraEnvironmentResource> ReplicaList { get; } = [];

    /// <summary>Tenant the AppHost's own calls (images, dashboard commands) use.</summary>
    public string TenantId { get; internal set; } = RuntaraPaths.DefaultTenant;

    /// <inheritdoc />
    public ReferenceExpression ConnectionStringExpression =>
        ReferenceExpression.Create($"Endpoint={ProtocolEndpoint.Property(EndpointProperty.Url)};PinnedCertificatePath={CertificatePath};PinnedCertificateSha256={CertificateFingerprint};ApiKey={ApiKey}");
}
