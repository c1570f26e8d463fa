using System.Text;
using Runtara.Protocol.Contracts;

namespace Runtara.Sdk.Hosting;

/// <summary>
/// Turns a <see cref="WorkflowOutcome{TOutput}"/> into <c>output.json</c> of the launch contract
/// (<see cref="InstanceOutput"/>, shared with the environment that reads it) and writes it atomically.
/// </summary>
internal static class OutputFile
{
    public static byte[] Render<TOutput>(WorkflowOutcome<TOutput> outcome, long nowMs)
    {
        var output = outcome.Status switch
        {
            WorkflowStatus.Completed => InstanceOutput.Completed(outcome.ResultJson.IsEmpty ? null : Encoding.UTF8.GetString(outcome.ResultJson.Span)),
            WorkflowStatus.Failed => InstanceOutput.Failed(outcome.Error ?? "Unknown error"),
            WorkflowStatus.Cancelled => InstanceOutput.Cancelled(),
            WorkflowStatus.CoreUnavailable => InstanceOutput.CoreUnavailable(outcome.Error ?? "The core is unavailable"),
            WorkflowStatus.Superseded => InstanceOutput.Superseded(outcome.Error ?? "a newer process of the instance registered"),
            // A pause before any checkpoint has nothing to name; the environment only needs a value.
            WorkflowStatus.Suspended => InstanceOutput.Suspended(outcome.CheckpointId ?? "paused"),
            // The core holds what the instance waits for; the environment asks it, not this file.
            WorkflowStatus.Waiting => InstanceOutput.Suspended(outcome.CheckpointId ?? "waiting"),
            WorkflowStatus.Sleeping => InstanceOutput.Sleeping(outcome.CheckpointId, Math.Max(0, (outcome.WakeAt?.ToUnixTimeMilliseconds() ?? nowMs) - nowMs)),
            _ => throw new ArgumentOutOfRangeException(nameof(outcome), outcome.Status, null),
        };
        return output.ToUtf8Bytes();
    }

    /// <summary>A failure before the workflow ran (bad settings, refused registration).</summary>
    public static byte[] RenderFailure(string error) => InstanceOutput.Failed(error).ToUtf8Bytes();

    /// <summary>The core stayed unreachable before the workflow ran (registration): retryable.</summary>
    public static byte[] RenderCoreUnavailable(string error) => InstanceOutput.CoreUnavailable(error).ToUtf8Bytes();

    public static Task WriteAsync(string path, byte[] content, CancellationToken cancellationToken) =>
        InstanceOutput.WriteFileAsync(path, content, cancellationToken);
}
