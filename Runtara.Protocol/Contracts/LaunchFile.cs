using System.Text.Json;

namespace Runtara.Protocol.Contracts;

/// <summary>
/// The launch file (docs/instance-contract.md, "Launch file"): a JSON object of launch variables, e.g.
/// <c>{"RUNTARA_INSTANCE_ID":"i-1","RUNTARA_INSTANCE_TOKEN":"…"}</c>, written by the environment just
/// before a pre-created (warm) container starts, at the path named by <see cref="LaunchVariables.LaunchFile"/>.
/// Its values win over the process environment's. Written and read here only, so both sides agree.
/// For a warm process it is a FIFO: opening it blocks until the environment assigns a run and writes it,
/// and it can be read once, so what a FIFO gave is kept for this process's later reads.
/// </summary>
public static class LaunchFile
{
    private static readonly Lock Gate = new();
    private static (string Path, Dictionary<string, string> Variables)? _fromFifo;

    /// <summary>The file's JSON: one object, string values only.</summary>
    public static byte[] Serialize(IEnumerable<KeyValuePair<string, string>> variables)
    {
        ArgumentNullException.ThrowIfNull(variables);
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            foreach (var (name, value) in variables)
            {
                writer.WriteString(name, value);
            }

            writer.WriteEndObject();
        }

        return buffer.ToArray();
    }

    /// <summary>Parses the file's content; throws <see cref="FormatException"/> when it is not an object of strings.</summary>
    public static Dictionary<string, string> Parse(ReadOnlySpan<byte> json)
    {
        var variables = new Dictionary<string, string>(StringComparer.Ordinal);
        try
        {
            var reader = new Utf8JsonReader(json);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                throw new FormatException("the launch file must hold one JSON object");
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var name = reader.GetString()!;
                if (!reader.Read() || reader.TokenType != JsonTokenType.String)
                {
                    throw new FormatException($"the launch file's \"{name}\" must be a string");
                }

                variables[name] = reader.GetString()!;
            }

            if (reader.TokenType != JsonTokenType.EndObject)
            {
                throw new FormatException("the launch file must hold one JSON object");
            }
        }
        catch (JsonException ex)
        {
            throw new FormatException($"the launch file is not valid JSON: {ex.Message}", ex);
        }

        return variables;
    }

    /// <summary>
    /// When <see cref="LaunchVariables.LaunchFile"/> is set, reads the file and sets its variables in this
    /// process's environment (so the workflow's own reads, e.g. of custom variables, see them too); returns
    /// how many were set, 0 when there is no launch file. Call it first thing, before any variable is read.
    /// </summary>
    public static int ApplyToProcessEnvironment()
    {
        if (System.Environment.GetEnvironmentVariable(LaunchVariables.LaunchFile) is not { Length: > 0 } path)
        {
            return 0;
        }

        var variables = Read(path);
        foreach (var (name, value) in variables)
        {
            System.Environment.SetEnvironmentVariable(name, value);
        }

        return variables.Count;
    }

    /// <summary>
    /// <paramref name="getVariable"/> with the launch file it names (if any) read over it: what the SDK
    /// reads its settings through when it is not handed the process environment.
    /// </summary>
    public static Func<string, string?> Overlay(Func<string, string?> getVariable)
    {
        ArgumentNullException.ThrowIfNull(getVariable);
        if (getVariable(LaunchVariables.LaunchFile) is not { Length: > 0 } path)
        {
            return getVariable;
        }

        var variables = Read(path);
        return name => variables.TryGetValue(name, out var value) ? value : getVariable(name);
    }

    /// <summary>
    /// True when <paramref name="path"/> is a launch file this process has yet to be given: a warm process's
    /// FIFO (empty until the environment writes the run into it; reading it waits until then).
    /// </summary>
    public static bool IsAwaited(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        lock (Gate)
        {
            if (_fromFifo is { } kept && kept.Path == path)
            {
                return false;
            }
        }

        // A FIFO has no size; a launch file written ahead (a warm container's) always has content.
        var file = new FileInfo(path);
        return file.Exists && file.Length == 0;
    }

    /// <summary>
    /// The variables of the launch file at <paramref name="path"/>. Read as a stream to its end (a FIFO has
    /// no length); a FIFO's are kept, since a second open would wait for a writer that never comes.
    /// </summary>
    private static Dictionary<string, string> Read(string path)
    {
        lock (Gate)
        {
            if (_fromFifo is { } kept && kept.Path == path)
            {
                return new Dictionary<string, string>(kept.Variables, StringComparer.Ordinal);
            }

            using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, bufferSize: 0);
            using var content = new MemoryStream();
            file.CopyTo(content);
            var variables = Parse(content.GetBuffer().AsSpan(0, (int)content.Length));
            if (!file.CanSeek)
            {
                _fromFifo = (path, variables);
            }

            return new Dictionary<string, string>(variables, StringComparer.Ordinal);
        }
    }
}
