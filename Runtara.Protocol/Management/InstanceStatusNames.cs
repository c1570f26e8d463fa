using Runtara.Protocol.Contracts;
using Names = Runtara.Protocol.Contracts.InstanceStatusNames;

namespace Runtara.Protocol.Management;

/// <summary>
/// The stored instance-status names (<see cref="Names"/>) keyed on the management protocol's enum, the status
/// contract between the core and the environment, which call these. The table itself is <see cref="Names"/>.
/// </summary>
public static class InstanceStatusNames
{
    /// <summary>The stored name; <c>STATUS_UNKNOWN</c> and undefined values are never stored.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="status"/> is never stored.</exception>
    public static string ToStorageName(this InstanceStatus status) => status.ToContract().ToStorageName();

    /// <summary>Parses a stored name; the legacy <c>sleeping</c> reads as suspended (SPEC §6.4.12).</summary>
    /// <exception cref="FormatException">The name is not one this mapping writes.</exception>
    public static InstanceStatus ParseStorageName(string value) => Names.ParseStorageName(value).ToManagementProto();

    /// <summary>Parses a stored name as <see cref="ParseStorageName"/> does; false (and <c>STATUS_UNKNOWN</c>) for any other name.</summary>
    public static bool TryParseStorageName(string? value, out InstanceStatus status)
    {
        var known = Names.TryParseStorageName(value, out var shared);
        status = shared.ToManagementProto();
        return known;
    }
}
