using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Runtara.Sdk.Workflows;

namespace Runtara.Sdk.Tests.Workflows;

/// <summary>A step's state serialized into a pooled buffer is byte for byte what SerializeToUtf8Bytes gives.</summary>
public sealed class PooledJsonTests
{
    public static TheoryData<int, bool> Shapes => new()
    {
        { 0, false },
        { 10, false },
        { 1_000, false },  // about the first rented buffer
        { 100_000, false }, // grows several times
        { 1_000, true },
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Writes_the_same_bytes_as_SerializeToUtf8Bytes(int items, bool indented)
    {
        var options = new JsonSerializerOptions(JsonSerializerOptions.Default)
        {
            WriteIndented = indented,
            Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
            TypeInfoResolver = new DefaultJsonTypeInfoResolver(),
        };
        var typeInfo = (JsonTypeInfo<Dictionary<string, string>>)options.GetTypeInfo(typeof(Dictionary<string, string>));
        var value = Enumerable.Range(0, items).ToDictionary(i => $"key{i}", i => $"välue <{i}> \"{new string('x', i % 50)}\"");

        var json = PooledJson.Serialize(value, typeInfo);

        Assert.Equal(JsonSerializer.SerializeToUtf8Bytes(value, typeInfo), json.Written.ToArray());
        json.Return();
        Assert.True(json.Written.IsEmpty);
    }
}
