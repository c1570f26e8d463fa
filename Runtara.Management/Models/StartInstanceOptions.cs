namespace Runtara.Management;

/// <summary>What to start (<see cref="RuntaraManagementClient.StartInstanceAsync"/>).</summary>
public sealed class StartInstanceOptions
{
    /// <summary>The image to run.</summary>
    public required string ImageId { get; set; }

    /// <summary>The tenant to start for; default: the client's <see cref="ManagementClientOptions.TenantId"/>.</summary>
    public string? TenantId { get; set; }

    /// <summary>The instance id to use; null lets the environment generate one.</summary>
    public string? InstanceId { get; set; }

    /// <summary>JSON input text; null or empty = <c>{}</c>.</summary>
    public string? Input { get; set; }

    /// <summary>Execution timeout in seconds, after which the process is killed and the instance FAILED; null or 0: the environment's default.</summary>
    public uint? TimeoutSeconds { get; set; }

    /// <summary>How often a crashed or silent run is relaunched from its last checkpoint before it is marked FAILED; null: the environment's default.</summary>
    public uint? MaxRetries { get; set; }

    /// <summary>The image version to start on (see <see cref="RuntaraManagementClient.ListImageVersionsAsync"/>); null: the newest.</summary>
    public int? ImageVersion { get; set; }

    /// <summary>Extra environment variables for the instance's processes (kept for resumes and wake-ups).</summary>
    public IDictionary<string, string> Environment { get; } = new Dictionary<string, string>(StringComparer.Ordinal);
}
