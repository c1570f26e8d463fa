using System.Text.Json.Serialization;

namespace Runtara.Protocol.Contracts;

/// <summary>
/// Status of an instance (SPEC §7): the one public status the SDK, the management client and the CLI share.
/// The numbers are those of the three protocols' <c>InstanceStatus</c> enums, but conversions go through
/// <see cref="ProtoEnumMapping"/>, never a cast. The names the servers store are in <see cref="InstanceStatusNames"/>.
/// </summary>
/// <remarks>Serialised by name ("Completed") unless the serializer options choose another naming.</remarks>
[JsonConverter(typeof(JsonStringEnumConverter<InstanceStatus>))]
public enum InstanceStatus
{
    /// <summary>The instance is not known (or a status newer than this library).</summary>
    Unknown = 0,

    /// <summary>Registered, not yet running.</summary>
    Pending = 1,

    /// <summary>The instance process is running.</summary>
    Running = 2,

    /// <summary>Stopped at a checkpoint (paused or sleeping) and resumable.</summary>
    Suspended = 3,

    /// <summary>Finished with an output. Terminal.</summary>
    Completed = 4,

    /// <summary>Finished with an error. Terminal.</summary>
    Failed = 5,

    /// <summary>Stopped by a cancel signal. Terminal.</summary>
    Cancelled = 6,
}
