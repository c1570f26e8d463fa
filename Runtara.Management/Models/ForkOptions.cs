namespace Runtara.Management;

/// <summary>How <see cref="RuntaraManagementClient.RerunInstanceAsync"/> and <see cref="RuntaraManagementClient.ForkInstanceAsync"/> start the new instance.</summary>
public sealed class ForkOptions
{
    /// <summary>The new instance's id; null: a new UUID. Asking again with the same id returns that instance (idempotent).</summary>
    public string? NewInstanceId { get; set; }

    /// <summary>The image version the new instance runs; null: the newest (e.g. the one with the fix).</summary>
    public int? ImageVersion { get; set; }

    /// <summary>The tenant; null: the client's.</summary>
    public string? TenantId { get; set; }
}

/// <summary>The instance a re-run or fork started, and how many of the source's checkpoints it replays.</summary>
/// <param name="InstanceId">The new instance's id.</param>
/// <param name="CheckpointsCopied">Checkpoints copied from the source.</param>
public sealed record ForkResult(string InstanceId, int CheckpointsCopied);
