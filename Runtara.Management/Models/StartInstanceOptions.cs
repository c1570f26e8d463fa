namespace Runtara.Management;

public sealed class StartInstanceOptions
{
    public required string ImageId { get; set; }

    public string? TenantId { get; set; }

    public string? InstanceId { get; set; }

    /// <summary>JSON input text; null or empty = <c>{}</c>.</summary>
    public string? Input { get; set; }

    public uint? TimeoutSeconds { get; set; }

    public uint? MaxRetries { get; set; }

    public IDictionary<string, string> Environment { get; } = new Dictionary<string, string>(StringComparer.Ordinal);
}
