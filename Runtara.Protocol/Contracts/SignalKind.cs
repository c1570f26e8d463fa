namespace Runtara.Protocol.Contracts;

/// <summary>
/// Instance-wide signals (SPEC §9.1), shared by the SDK, the management client and the CLI. The numbers of the
/// known kinds are the protocols' <c>SignalType</c> values; conversions go through <see cref="ProtoEnumMapping"/>.
/// </summary>
public enum SignalKind
{
    /// <summary>Stop the instance for good.</summary>
    Cancel = 0,

    /// <summary>Suspend the instance at its next checkpoint.</summary>
    Pause = 1,

    /// <summary>Continue a paused instance.</summary>
    Resume = 2,

    /// <summary>
    /// A signal type this library does not know (a newer peer). Ignored and logged: 1.4.1 treated it
    /// as CANCEL, which SPEC §19.20 calls a dangerous default. Never sent.
    /// </summary>
    Unknown = -1,
}
