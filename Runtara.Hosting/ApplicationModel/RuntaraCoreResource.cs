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

    /// <summary>The development certificate the core generates; clients pin it.</summary>
    public string CertificatePath => RuntaraPaths.DevelopmentCertificate(DataDirectory);

    /// <inheritdoc />
    public ReferenceExpression ConnectionStringExpression => ReferenceExpression.Create($"{InstanceEndpoint.Property(EndpointProperty.Url)}");
}
