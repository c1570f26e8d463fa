namespace Aspire.Hosting.ApplicationModel;

/// <summary>
/// The Runtara core as an Aspire project resource: an HTTP endpoint for <c>/health</c> and two
/// non-proxied TCP endpoints, <c>instance</c> (instances → core) and <c>management</c> (environment → core).
/// Its connection string is the instance-protocol URL (<c>tcp://127.0.0.1:8001</c>), what
/// <c>AddRuntaraInstance("…")</c> in Runtara.Sdk reads.
/// </summary>
public sealed class RuntaraCoreResource(string name, ParameterResource tokenKey) : ProjectResource(name), IResourceWithConnectionString
{
    /// <summary>Endpoint name of the instance protocol.</summary>
    public const string InstanceEndpointName = "instance";

    /// <summary>Endpoint name of the management protocol.</summary>
    public const string ManagementEndpointName = "management";

    private EndpointReference? _instance;
    private EndpointReference? _management;

    /// <summary>The instance protocol (default port 8001).</summary>
    public EndpointReference InstanceEndpoint => _instance ??= new(this, InstanceEndpointName);

    /// <summary>The management protocol (default port 8003).</summary>
    public EndpointReference ManagementEndpoint => _management ??= new(this, ManagementEndpointName);

    /// <summary>Absolute data directory handed to the core (SQLite file, development certificate, endpoints file).</summary>
    public string DataDirectory { get; internal set; } = string.Empty;

    /// <summary>
    /// Secret parameter with the HMAC key that signs instance and service tokens (configuration key
    /// <c>Runtara:Core:Security:Keys:aspire</c>); environments that reference the core get the same key.
    /// </summary>
    public ParameterResource TokenKey { get; } = tokenKey;

    /// <summary>The development certificate the core generates; clients pin it. Replicas present their primary's.</summary>
    public string CertificatePath => Primary?.CertificatePath ?? RuntaraPaths.DevelopmentCertificate(DataDirectory);

    /// <summary>
    /// The core this one is a replica of (<c>AddReplica</c>): it shares that core's database, token key and
    /// certificate; null for a primary.
    /// </summary>
    public RuntaraCoreResource? Primary { get; internal set; }

    /// <summary>The replicas of this core, in the order they were added; clients get the primary's address first, then theirs.</summary>
    public IReadOnlyList<RuntaraCoreResource> Replicas => ReplicaList;

    /// <summary>The PostgreSQL database of <c>WithPostgres</c>, which replicas share; null while the core uses SQLite.</summary>
    public IResourceWithConnectionString? Database { get; internal set; }

    internal List<RuntaraCoreResource> ReplicaList { get; } = [];

    /// <summary>This core and its replicas, primary first: the address list handed to clients.</summary>
    internal IEnumerable<RuntaraCoreResource> AllReplicas => ReplicaList.Prepend(this);

    /// <inheritdoc />
    public ReferenceExpression ConnectionStringExpression => ReferenceExpression.Create($"{InstanceEndpoint.Property(EndpointProperty.Url)}");
}
