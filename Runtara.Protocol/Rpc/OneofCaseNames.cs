using System.Collections.Frozen;

namespace Runtara.Protocol.Rpc;

/// <summary>
/// The names of a oneof's cases, looked up once: <c>Enum.ToString</c> boxed the case on every call,
/// and the method name is read several times per call on both sides. Protobuf numbers a oneof's
/// "none" case 0; it has the empty name here, as no method is named.
/// </summary>
internal static class OneofCaseNames<TCase>
    where TCase : struct, Enum
{
    private static readonly FrozenDictionary<TCase, string> Names =
        Enum.GetValues<TCase>().ToFrozenDictionary(value => value, value => EqualityComparer<TCase>.Default.Equals(value, default) ? string.Empty : value.ToString());

    /// <summary>The case's name; a value unknown to this build (never produced by the generated code) is formatted as it is.</summary>
    public static string Of(TCase value) => Names.TryGetValue(value, out var name) ? name : value.ToString();
}
