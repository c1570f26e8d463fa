using System.Text;
using System.Text.Json;

namespace Runtara.Sdk.Hosting;

/// <summary>
/// <c>output.json</c> of the launch contract (SPEC §14.3): <c>status</c> always; <c>result</c> when
/// completed; <c>error</c> when failed; <c>checkpoint_id</c> when suspended or sleeping;
/// <c>wake_after_ms</c> when sleeping. Written to a temporary file and moved into place, so the
/// environment never reads half a file.
/// </summary>
internal static class OutputFile
{
    public static byte[] Render<TOutput>(WorkflowOutcome<TOutput> outcome, long nowMs)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            switch (outcome.Status)
            {
                case WorkflowStatus.Completed:
                    writer.WriteString("status", "completed");
                    writer.WritePropertyName("result");
                    if (outcome.ResultJson.IsEmpty)
                    {
                        writer.WriteNullValue();
                    }
                    else
                    {
                        writer.WriteRawValue(outcome.ResultJson.Span, skipInputValidation: true);
                    }

                    break;
                case WorkflowStatus.Failed:
                    writer.WriteString("status", "failed");
                    writer.WriteString("error", outcome.Error ?? "Unknown error");
                    break;
                case WorkflowStatus.Cancelled:
                    writer.WriteString("status", "cancelled");
                    break;
                case WorkflowStatus.Suspended:
                    writer.WriteString("status", "suspended");
                    writer.WriteString("checkpoint_id", outcome.CheckpointId ?? "paused");
                    break;
                case WorkflowStatus.Sleeping:
                    writer.WriteString("status", "sleeping");
                    writer.WriteString("checkpoint_id", outcome.CheckpointId);
                    writer.WriteNumber("wake_after_ms", Math.Max(0, (outcome.WakeAt?.ToUnixTimeMilliseconds() ?? nowMs) - nowMs));
                    break;
                default:
                    throw new ArgumentOutOfRangeException(nameof(outcome), outcome.Status, null);
            }

            writer.WriteEndObject();
        }

        return buffer.ToArray();
    }

    /// <summary>A failure before the workflow ran (bad settings, refused registration).</summary>
    public static byte[] RenderFailure(string error)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("status", "failed");
            writer.WriteString("error", error);
            writer.WriteEndObject();
        }

        return buffer.ToArray();
    }

    public static async Task WriteAsync(string path, byte[] content, CancellationToken cancellationToken)
    {
        var full = Path.GetFullPath(path);
        var directory = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(directory);
        var temporary = Path.Combine(directory, $".{Path.GetFileName(full)}.{Environment.ProcessId}.tmp");
        await File.WriteAllBytesAsync(temporary, content, cancellationToken).ConfigureAwait(false);
        File.Move(temporary, full, overwrite: true);
    }

    internal static string Describe(byte[] content) => Encoding.UTF8.GetString(content);
}
