using System.Text;
using System.Text.Json;

namespace Runtara.Environment.Instances;

/// <summary>
/// <c>output.json</c> written by an instance at exit (SPEC §14.3): status <c>completed</c>, <c>failed</c>,
/// <c>suspended</c>, <c>sleeping</c> or <c>cancelled</c> (exact, lower-case); extra fields ignored.
/// </summary>
internal sealed record OutputFile(string Status, string? Result, string? Error, string? CheckpointId, long? WakeAfterMs)
{
    public static OutputFile? TryRead(string path)
    {
        try
        {
            var bytes = File.ReadAllBytes(path);
            using var document = JsonDocument.Parse(bytes);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("status", out var status) || status.ValueKind != JsonValueKind.String)
            {
                return null;
            }

            var name = status.GetString()!;
            if (name is not ("completed" or "failed" or "suspended" or "sleeping" or "cancelled"))
            {
                return null;
            }

            return new OutputFile(
                name,
                root.TryGetProperty("result", out var result) ? result.GetRawText() : null,
                root.TryGetProperty("error", out var error) && error.ValueKind == JsonValueKind.String ? error.GetString() : null,
                root.TryGetProperty("checkpoint_id", out var checkpoint) && checkpoint.ValueKind == JsonValueKind.String ? checkpoint.GetString() : null,
                root.TryGetProperty("wake_after_ms", out var wake) && wake.TryGetInt64(out var ms) ? ms : null);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or JsonException)
        {
            return null;
        }
    }

    public byte[]? ResultBytes => Result is null ? null : Encoding.UTF8.GetBytes(Result);
}
