using System.Globalization;
using System.Text;

namespace Runtara.Sdk;

/// <summary>
/// Deterministic keys for steps, sleeps and signal waits. A key must name the same step on every run
/// of the instance, so it is built from the step's name and its loop indices or business ids — never
/// from time, random numbers or <c>Guid.NewGuid()</c>. <c>StepKey.For("charge", orderIndex)</c> gives
/// <c>charge/3</c>; <c>StepKey.For("item", batch, item)</c> gives <c>item/2/17</c>.
/// </summary>
public static class StepKey
{
    /// <summary>Longest key accepted (the core stores keys as checkpoint ids).</summary>
    public const int MaxLength = 512;

    /// <summary>The key <paramref name="name"/> itself, validated.</summary>
    public static string For(string name)
    {
        Validate(name);
        return name;
    }

    /// <summary><paramref name="name"/> followed by each index, separated by <c>/</c>.</summary>
    public static string For(string name, params ReadOnlySpan<long> indices)
    {
        Validate(name);

        // Formatted in place: a step in a loop makes one of these per iteration, and only the key is kept.
        const int MaxIndexLength = 21; // '/' and up to 20 characters of a long
        var length = name.Length + (indices.Length * MaxIndexLength);
        var buffer = length <= 256 ? stackalloc char[256] : new char[length];
        name.CopyTo(buffer);
        var written = name.Length;
        foreach (var index in indices)
        {
            buffer[written++] = '/';
            index.TryFormat(buffer[written..], out var digits, provider: CultureInfo.InvariantCulture);
            written += digits;
        }

        return new string(buffer[..written]);
    }

    /// <summary><paramref name="name"/> followed by each part, separated by <c>/</c> (e.g. business ids).</summary>
    public static string For(string name, params ReadOnlySpan<string> parts)
    {
        Validate(name);
        var builder = new StringBuilder(name);
        foreach (var part in parts)
        {
            ArgumentNullException.ThrowIfNull(part);
            builder.Append('/').Append(part);
        }

        var key = builder.ToString();
        Validate(key);
        return key;
    }

    /// <summary>Throws <see cref="InvalidStepKeyException"/> unless <paramref name="key"/> is a usable key.</summary>
    public static void Validate(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (key.Length == 0 || string.IsNullOrWhiteSpace(key))
        {
            throw new InvalidStepKeyException(key, "a key must not be empty");
        }

        if (key.Length > MaxLength)
        {
            throw new InvalidStepKeyException(key[..32] + "…", $"a key must be at most {MaxLength} characters");
        }

        foreach (var c in key)
        {
            if (char.IsControl(c))
            {
                throw new InvalidStepKeyException(key, "a key must not contain control characters");
            }
        }
    }

    // Checkpoint ids of the SDK's own namespaces. The prefixes keep steps, sleeps and stored signal
    // payloads apart from each other and from the bare signal names that senders target, because a
    // Checkpoint call consumes the custom signal waiting at the same id (SPEC §8).
    internal const string StepPrefix = "step:";
    internal const string SleepPrefix = "sleep:";
    internal const string SignalPrefix = "signal:";
    internal const string NowPrefix = "now:";
    internal const string GuidPrefix = "guid:";
    internal const string WaitPrefix = "wait:";
    internal const string ChildWaitPrefix = "wait:child/";
    internal const string PatchPrefix = "patch:";

    internal static string Step(string key) => StepPrefix + key;

    internal static string Sleep(string key) => SleepPrefix + key;

    internal static string Signal(string name) => SignalPrefix + name;

    internal static string Now(string key) => NowPrefix + key;

    internal static string Guid(string key) => GuidPrefix + key;

    internal static string Wait(string key) => WaitPrefix + key;

    internal static string ChildWait(string key) => ChildWaitPrefix + key;

    internal static string Patch(string patchId) => PatchPrefix + patchId;
}
