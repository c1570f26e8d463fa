using System.Text.Json;
using System.Text.Json.Serialization;

namespace Runtara.Protocol.Contracts;

/// <summary>Source-generated JSON for <see cref="InstanceOutput"/> (no reflection: Runtara.Protocol is AOT-compatible).</summary>
[JsonSerializable(typeof(InstanceOutput))]
internal sealed partial class InstanceOutputJsonContext : JsonSerializerContext;

/// <summary>
/// A JSON value kept as its raw text: written verbatim (the SDK already produced valid JSON), read as
/// the value's text, <c>null</c> included, so a reader can pass it on unchanged.
/// </summary>
internal sealed class RawJsonConverter : JsonConverter<string?>
{
    // Read a JSON null as the text "null" (what the environment always did); writing null is skipped by the ignore condition.
    public override bool HandleNull => true;

    public override string? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        using var document = JsonDocument.ParseValue(ref reader);
        return document.RootElement.GetRawText();
    }

    public override void Write(Utf8JsonWriter writer, string? value, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(writer);
        if (value is null)
        {
            writer.WriteNullValue();
        }
        else
        {
            writer.WriteRawValue(value, skipInputValidation: true);
        }
    }
}

/// <summary>A string, or null when the value is of another type (a reader of another SDK's file stays tolerant).</summary>
internal sealed class TolerantStringConverter : JsonConverter<string?>
{
    public override string? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType == JsonTokenType.String)
        {
            return reader.GetString();
        }

        reader.Skip();
        return null;
    }

    public override void Write(Utf8JsonWriter writer, string? value, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteStringValue(value);
    }
}

/// <summary>A whole number that fits a long, or null for any other value.</summary>
internal sealed class TolerantInt64Converter : JsonConverter<long?>
{
    public override long? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out var value))
        {
            return value;
        }

        reader.Skip();
        return null;
    }

    public override void Write(Utf8JsonWriter writer, long? value, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(writer);
        if (value is { } number)
        {
            writer.WriteNumberValue(number);
        }
        else
        {
            writer.WriteNullValue();
        }
    }
}
