using System.Text.Json;
using System.Text.Json.Serialization;

namespace Runtara.Protocol.Contracts;

/// <summary>
/// <c>output.json</c> of the launch contract (docs/instance-contract.md, SPEC §14.3), written by an
/// instance when its workflow ends and read by the environment when the process exits:
/// <c>status</c> always; <c>result</c> when completed; <c>error</c> when failed; <c>checkpoint_id</c>
/// when suspended or sleeping; <c>wake_after_ms</c> when sleeping. Absent fields are not written.
/// </summary>
public sealed record InstanceOutput
{
    /// <summary>One of <see cref="InstanceOutputStatus"/>'s names (exact, lower case).</summary>
    [JsonPropertyName("status")]
    public required string Status { get; init; }

    /// <summary>The workflow's output as raw JSON text, written verbatim (<c>null</c> is the JSON literal).</summary>
    [JsonPropertyName("result")]
    [JsonConverter(typeof(RawJsonConverter))]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Result { get; init; }

    /// <summary>The error text of a failed workflow.</summary>
    [JsonPropertyName("error")]
    [JsonConverter(typeof(TolerantStringConverter))]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Error { get; init; }

    /// <summary>Where a suspended or sleeping instance resumes from.</summary>
    [JsonPropertyName("checkpoint_id")]
    [JsonConverter(typeof(TolerantStringConverter))]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? CheckpointId { get; init; }

    /// <summary>How long a sleeping instance sleeps, from when the file was written.</summary>
    [JsonPropertyName("wake_after_ms")]
    [JsonConverter(typeof(TolerantInt64Converter))]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public long? WakeAfterMs { get; init; }

    /// <summary>
    /// Why a run ended <c>failed</c> when it is not the workflow's own failure, as one of
    /// <see cref="InstanceOutputReason"/>'s names; absent for a workflow failure. A reader that does
    /// not know the field sees an ordinary failure.
    /// </summary>
    [JsonPropertyName("reason")]
    [JsonConverter(typeof(TolerantStringConverter))]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Reason { get; init; }

    /// <summary>True for a run that ended because the core stayed unreachable (<see cref="InstanceOutputReason.CoreUnavailable"/>).</summary>
    [JsonIgnore]
    public bool IsCoreUnavailable => Status == InstanceOutputStatus.Failed && Reason == InstanceOutputReason.CoreUnavailable;

    /// <summary>True for a process that stopped because a newer registration of its instance superseded it (<see cref="InstanceOutputReason.Superseded"/>).</summary>
    [JsonIgnore]
    public bool IsSuperseded => Status == InstanceOutputStatus.Failed && Reason == InstanceOutputReason.Superseded;

    /// <summary>A completed workflow; <paramref name="resultJson"/> is its output as JSON text (null writes <c>"result":null</c>).</summary>
    public static InstanceOutput Completed(string? resultJson) => new() { Status = InstanceOutputStatus.Completed, Result = resultJson ?? "null" };

    /// <summary>A failed workflow (or a failure before it ran).</summary>
    public static InstanceOutput Failed(string error) => new() { Status = InstanceOutputStatus.Failed, Error = error };

    /// <summary>
    /// A run that could not reach the core for longer than its tolerance: <c>failed</c> for readers
    /// that know no reasons, with <see cref="InstanceOutputReason.CoreUnavailable"/> for the environment,
    /// which relaunches it instead of failing it.
    /// </summary>
    public static InstanceOutput CoreUnavailable(string error) =>
        new() { Status = InstanceOutputStatus.Failed, Error = error, Reason = InstanceOutputReason.CoreUnavailable };

    /// <summary>
    /// A process whose instance was registered again by another process: it stopped without writing
    /// anything more. <c>failed</c> for readers that know no reasons; the instance itself is the newer
    /// process's, so a reader that knows <see cref="InstanceOutputReason.Superseded"/> must not settle it from this file.
    /// </summary>
    public static InstanceOutput Superseded(string error) =>
        new() { Status = InstanceOutputStatus.Failed, Error = $"superseded: {error}", Reason = InstanceOutputReason.Superseded };

    /// <summary>A workflow stopped by a cancel.</summary>
    public static InstanceOutput Cancelled() => new() { Status = InstanceOutputStatus.Cancelled };

    /// <summary>A paused workflow, resumed from <paramref name="checkpointId"/>.</summary>
    public static InstanceOutput Suspended(string checkpointId) => new() { Status = InstanceOutputStatus.Suspended, CheckpointId = checkpointId };

    /// <summary>A workflow in a durable sleep, relaunched after <paramref name="wakeAfterMs"/>.</summary>
    public static InstanceOutput Sleeping(string? checkpointId, long wakeAfterMs) =>
        new() { Status = InstanceOutputStatus.Sleeping, CheckpointId = checkpointId, WakeAfterMs = wakeAfterMs };

    /// <summary>The document as compact UTF-8 JSON.</summary>
    public byte[] ToUtf8Bytes() => JsonSerializer.SerializeToUtf8Bytes(this, InstanceOutputJsonContext.Default.InstanceOutput);

    /// <summary>
    /// Parses a document; null when it is not JSON, not an object, or has no known <c>status</c>.
    /// Unknown fields are ignored, and so is a known field of the wrong type (an <c>error</c> that is
    /// not a string reads as no error), as the environment always read it.
    /// </summary>
    public static InstanceOutput? Parse(ReadOnlySpan<byte> utf8Json)
    {
        try
        {
            var output = JsonSerializer.Deserialize(utf8Json, InstanceOutputJsonContext.Default.InstanceOutput);
            return output is not null && InstanceOutputStatus.IsKnown(output.Status) ? output : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>Reads <paramref name="path"/>; null when the file is missing, unreadable or not a valid document (<see cref="Parse"/>).</summary>
    public static InstanceOutput? TryRead(string path)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }

        return Parse(bytes);
    }

    /// <summary>Writes the document to <paramref name="path"/> atomically (see <see cref="WriteFileAsync"/>).</summary>
    public Task WriteAsync(string path, CancellationToken cancellationToken) => WriteFileAsync(path, ToUtf8Bytes(), cancellationToken);

    /// <summary>
    /// Writes <paramref name="content"/> to a temporary file next to <paramref name="path"/> and moves it
    /// into place, so a reader never sees half a file; creates the directory when missing.
    /// </summary>
    public static async Task WriteFileAsync(string path, ReadOnlyMemory<byte> content, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var full = Path.GetFullPath(path);
        var directory = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(directory);
        var temporary = Path.Combine(directory, $".{Path.GetFileName(full)}.{System.Environment.ProcessId}.tmp");
        await File.WriteAllBytesAsync(temporary, content, cancellationToken).ConfigureAwait(false);
        File.Move(temporary, full, overwrite: true);
    }
}

/// <summary>The <c>reason</c> names of <see cref="InstanceOutput"/> (exact, lower case).</summary>
public static class InstanceOutputReason
{
    /// <summary>
    /// The core stayed unreachable past the SDK's tolerance; the workflow itself did not fail. The
    /// process exits with <see cref="ExitCodes.CoreUnavailable"/>.
    /// </summary>
    public const string CoreUnavailable = "core_unavailable";

    /// <summary>
    /// The instance was relaunched while this process still ran, and the core refused this process's
    /// writes (<c>STALE_INCARNATION</c>). The process exits with <see cref="ExitCodes.Superseded"/>;
    /// the run is the newer process's, and this process's end says nothing about it.
    /// </summary>
    public const string Superseded = "superseded";
}

/// <summary>Process exit codes of the launch contract (docs/instance-contract.md).</summary>
public static class ExitCodes
{
    /// <summary>The workflow completed, slept, paused or was cancelled.</summary>
    public const int Success = 0;

    /// <summary>The workflow failed (or nothing ran: settings, input, registration refused).</summary>
    public const int Failed = 1;

    /// <summary>
    /// The core was unreachable for longer than the tolerance (<c>EX_TEMPFAIL</c> of sysexits.h):
    /// a retryable end that does not consume the instance's retries.
    /// </summary>
    public const int CoreUnavailable = 75;

    /// <summary>
    /// A newer process of the instance superseded this one (<c>EX_NOPERM</c> of sysexits.h: it may no
    /// longer write): not an end of the instance, which the newer process runs on.
    /// </summary>
    public const int Superseded = 77;

    /// <summary>Stopped from outside (SIGTERM, Ctrl+C) before the workflow ended (128 + SIGINT).</summary>
    public const int Stopped = 130;
}

/// <summary>The <c>status</c> names of <see cref="InstanceOutput"/> (exact, lower case).</summary>
public static class InstanceOutputStatus
{
    /// <summary>The workflow returned; <c>result</c> holds its output.</summary>
    public const string Completed = "completed";

    /// <summary>The workflow failed; <c>error</c> tells why.</summary>
    public const string Failed = "failed";

    /// <summary>A pause stopped it at a checkpoint; ResumeInstance relaunches it.</summary>
    public const string Suspended = "suspended";

    /// <summary>A durable sleep stopped it; the environment relaunches it after <c>wake_after_ms</c>.</summary>
    public const string Sleeping = "sleeping";

    /// <summary>A cancel stopped it.</summary>
    public const string Cancelled = "cancelled";

    /// <summary>True for the five names above (ordinal: <c>Completed</c> is not a status).</summary>
    public static bool IsKnown(string? status) => status is Completed or Failed or Suspended or Sleeping or Cancelled;
}
