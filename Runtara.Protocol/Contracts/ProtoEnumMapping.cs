using EnvironmentProto = Runtara.Protocol.Environment;
using InstanceProto = Runtara.Protocol.Instance;
using ManagementProto = Runtara.Protocol.Management;

namespace Runtara.Protocol.Contracts;

/// <summary>
/// The one mapping between <see cref="InstanceStatus"/> / <see cref="SignalKind"/> and the enums of the three
/// protocols (instance, management, environment). Explicit switches, not casts: a renumbered proto value then
/// fails a test instead of silently meaning another status.
/// </summary>
/// <remarks>
/// From the wire, an undefined value (a newer peer) reads as <see cref="InstanceStatus.Unknown"/> or
/// <see cref="SignalKind.Unknown"/>, never as CANCEL (SPEC §19.20). Onto the wire, an undefined value is an
/// <see cref="ArgumentOutOfRangeException"/>, and so is <see cref="SignalKind.Unknown"/>, which has no wire value.
/// </remarks>
public static class ProtoEnumMapping
{
    /// <summary>The shared status of an instance-protocol status; undefined values are <see cref="InstanceStatus.Unknown"/>.</summary>
    public static InstanceStatus ToContract(this InstanceProto.InstanceStatus status) => status switch
    {
        InstanceProto.InstanceStatus.StatusPending => InstanceStatus.Pending,
        InstanceProto.InstanceStatus.StatusRunning => InstanceStatus.Running,
        InstanceProto.InstanceStatus.StatusSuspended => InstanceStatus.Suspended,
        InstanceProto.InstanceStatus.StatusCompleted => InstanceStatus.Completed,
        InstanceProto.InstanceStatus.StatusFailed => InstanceStatus.Failed,
        InstanceProto.InstanceStatus.StatusCancelled => InstanceStatus.Cancelled,
        _ => InstanceStatus.Unknown,
    };

    /// <summary>The shared status of a management-protocol status; undefined values are <see cref="InstanceStatus.Unknown"/>.</summary>
    public static InstanceStatus ToContract(this ManagementProto.InstanceStatus status) => status switch
    {
        ManagementProto.InstanceStatus.StatusPending => InstanceStatus.Pending,
        ManagementProto.InstanceStatus.StatusRunning => InstanceStatus.Running,
        ManagementProto.InstanceStatus.StatusSuspended => InstanceStatus.Suspended,
        ManagementProto.InstanceStatus.StatusCompleted => InstanceStatus.Completed,
        ManagementProto.InstanceStatus.StatusFailed => InstanceStatus.Failed,
        ManagementProto.InstanceStatus.StatusCancelled => InstanceStatus.Cancelled,
        _ => InstanceStatus.Unknown,
    };

    /// <summary>The shared status of an environment-protocol status; undefined values are <see cref="InstanceStatus.Unknown"/>.</summary>
    public static InstanceStatus ToContract(this EnvironmentProto.InstanceStatus status) => status switch
    {
        EnvironmentProto.InstanceStatus.StatusPending => InstanceStatus.Pending,
        EnvironmentProto.InstanceStatus.StatusRunning => InstanceStatus.Running,
        EnvironmentProto.InstanceStatus.StatusSuspended => InstanceStatus.Suspended,
        EnvironmentProto.InstanceStatus.StatusCompleted => InstanceStatus.Completed,
        EnvironmentProto.InstanceStatus.StatusFailed => InstanceStatus.Failed,
        EnvironmentProto.InstanceStatus.StatusCancelled => InstanceStatus.Cancelled,
        _ => InstanceStatus.Unknown,
    };

    /// <summary>The instance-protocol value of a status (<see cref="InstanceStatus.Unknown"/> is <c>STATUS_UNKNOWN</c>).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="status"/> is not a defined member.</exception>
    public static InstanceProto.InstanceStatus ToInstanceProto(this InstanceStatus status) => status switch
    {
        InstanceStatus.Unknown => InstanceProto.InstanceStatus.StatusUnknown,
        InstanceStatus.Pending => InstanceProto.InstanceStatus.StatusPending,
        InstanceStatus.Running => InstanceProto.InstanceStatus.StatusRunning,
        InstanceStatus.Suspended => InstanceProto.InstanceStatus.StatusSuspended,
        InstanceStatus.Completed => InstanceProto.InstanceStatus.StatusCompleted,
        InstanceStatus.Failed => InstanceProto.InstanceStatus.StatusFailed,
        InstanceStatus.Cancelled => InstanceProto.InstanceStatus.StatusCancelled,
        _ => throw Undefined(status),
    };

    /// <summary>The management-protocol value of a status (<see cref="InstanceStatus.Unknown"/> is <c>STATUS_UNKNOWN</c>).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="status"/> is not a defined member.</exception>
    public static ManagementProto.InstanceStatus ToManagementProto(this InstanceStatus status) => status switch
    {
        InstanceStatus.Unknown => ManagementProto.InstanceStatus.StatusUnknown,
        InstanceStatus.Pending => ManagementProto.InstanceStatus.StatusPending,
        InstanceStatus.Running => ManagementProto.InstanceStatus.StatusRunning,
        InstanceStatus.Suspended => ManagementProto.InstanceStatus.StatusSuspended,
        InstanceStatus.Completed => ManagementProto.InstanceStatus.StatusCompleted,
        InstanceStatus.Failed => ManagementProto.InstanceStatus.StatusFailed,
        InstanceStatus.Cancelled => ManagementProto.InstanceStatus.StatusCancelled,
        _ => throw Undefined(status),
    };

    /// <summary>The environment-protocol value of a status (<see cref="InstanceStatus.Unknown"/> is <c>STATUS_UNKNOWN</c>).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="status"/> is not a defined member.</exception>
    public static EnvironmentProto.InstanceStatus ToEnvironmentProto(this InstanceStatus status) => status switch
    {
        InstanceStatus.Unknown => EnvironmentProto.InstanceStatus.StatusUnknown,
        InstanceStatus.Pending => EnvironmentProto.InstanceStatus.StatusPending,
        InstanceStatus.Running => EnvironmentProto.InstanceStatus.StatusRunning,
        InstanceStatus.Suspended => EnvironmentProto.InstanceStatus.StatusSuspended,
        InstanceStatus.Completed => EnvironmentProto.InstanceStatus.StatusCompleted,
        InstanceStatus.Failed => EnvironmentProto.InstanceStatus.StatusFailed,
        InstanceStatus.Cancelled => EnvironmentProto.InstanceStatus.StatusCancelled,
        _ => throw Undefined(status),
    };

    /// <summary>The shared kind of an instance-protocol signal; undefined values are <see cref="SignalKind.Unknown"/>, never CANCEL.</summary>
    public static SignalKind ToContract(this InstanceProto.SignalType type) => type switch
    {
        InstanceProto.SignalType.SignalCancel => SignalKind.Cancel,
        InstanceProto.SignalType.SignalPause => SignalKind.Pause,
        InstanceProto.SignalType.SignalResume => SignalKind.Resume,
        _ => SignalKind.Unknown,
    };

    /// <summary>The shared kind of a management-protocol signal; undefined values are <see cref="SignalKind.Unknown"/>, never CANCEL.</summary>
    public static SignalKind ToContract(this ManagementProto.SignalType type) => type switch
    {
        ManagementProto.SignalType.SignalCancel => SignalKind.Cancel,
        ManagementProto.SignalType.SignalPause => SignalKind.Pause,
        ManagementProto.SignalType.SignalResume => SignalKind.Resume,
        _ => SignalKind.Unknown,
    };

    /// <summary>The shared kind of an environment-protocol signal; undefined values are <see cref="SignalKind.Unknown"/>, never CANCEL.</summary>
    public static SignalKind ToContract(this EnvironmentProto.SignalType type) => type switch
    {
        EnvironmentProto.SignalType.SignalCancel => SignalKind.Cancel,
        EnvironmentProto.SignalType.SignalPause => SignalKind.Pause,
        EnvironmentProto.SignalType.SignalResume => SignalKind.Resume,
        _ => SignalKind.Unknown,
    };

    /// <summary>The instance-protocol value of a known signal kind.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="kind"/> is <see cref="SignalKind.Unknown"/> or undefined.</exception>
    public static InstanceProto.SignalType ToInstanceProto(this SignalKind kind) => kind switch
    {
        SignalKind.Cancel => InstanceProto.SignalType.SignalCancel,
        SignalKind.Pause => InstanceProto.SignalType.SignalPause,
        SignalKind.Resume => InstanceProto.SignalType.SignalResume,
        _ => throw NotOnTheWire(kind),
    };

    /// <summary>The management-protocol value of a known signal kind.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="kind"/> is <see cref="SignalKind.Unknown"/> or undefined.</exception>
    public static ManagementProto.SignalType ToManagementProto(this SignalKind kind) => kind switch
    {
        SignalKind.Cancel => ManagementProto.SignalType.SignalCancel,
        SignalKind.Pause => ManagementProto.SignalType.SignalPause,
        SignalKind.Resume => ManagementProto.SignalType.SignalResume,
        _ => throw NotOnTheWire(kind),
    };

    /// <summary>The environment-protocol value of a known signal kind.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="kind"/> is <see cref="SignalKind.Unknown"/> or undefined.</exception>
    public static EnvironmentProto.SignalType ToEnvironmentProto(this SignalKind kind) => kind switch
    {
        SignalKind.Cancel => EnvironmentProto.SignalType.SignalCancel,
        SignalKind.Pause => EnvironmentProto.SignalType.SignalPause,
        SignalKind.Resume => EnvironmentProto.SignalType.SignalResume,
        _ => throw NotOnTheWire(kind),
    };

    private static ArgumentOutOfRangeException Undefined(InstanceStatus status) =>
        new(nameof(status), status, "Not a defined instance status.");

    private static ArgumentOutOfRangeException NotOnTheWire(SignalKind kind) =>
        new(nameof(kind), kind, "Only known signal kinds go on the wire.");
}
