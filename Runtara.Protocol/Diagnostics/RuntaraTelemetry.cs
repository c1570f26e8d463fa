namespace Runtara.Diagnostics;

/// <summary>Names of Runtara's ActivitySources and Meters, registered by ServiceDefaults.</summary>
public static class RuntaraTelemetry
{
    /// <summary>RPC client and server spans, transport metrics.</summary>
    public const string Protocol = "Runtara.Protocol";

    /// <summary>Core server: storage, instances, checkpoints, signals.</summary>
    public const string Core = "Runtara.Core";

    /// <summary>Environment server: images, runner, workers.</summary>
    public const string Environment = "Runtara.Environment";

    /// <summary>Instance SDK: durable steps.</summary>
    public const string Sdk = "Runtara.Sdk";

    /// <summary>Every source and meter name, for registration.</summary>
    public static readonly IReadOnlyList<string> All = [Protocol, Core, Environment, Sdk];
}
