using System.Diagnostics;
using System.Diagnostics.Metrics;
using Runtara.Diagnostics;

namespace Runtara.Environment.Diagnostics;

/// <summary>The environment's ActivitySource and Meter ("Runtara.Environment"), registered by ServiceDefaults.</summary>
internal static class EnvironmentTelemetry
{
    public static readonly ActivitySource Source = new(RuntaraTelemetry.Environment);

    public static readonly Meter Meter = new(RuntaraTelemetry.Environment);

    public static readonly Counter<long> InstancesStarted = Meter.CreateCounter<long>("runtara.environment.instances.started", "{instance}", "Instance processes launched (start, resume, wake, retry).");

    public static readonly Counter<long> InstancesFailed = Meter.CreateCounter<long>("runtara.environment.instances.failed", "{instance}", "Instances the environment marked failed (crash, timeout, silence, launch failure).");

    public static readonly Counter<long> InstancesFinished = Meter.CreateCounter<long>("runtara.environment.instances.finished", "{instance}", "Instance runs that ended, by final status.");

    public static readonly Counter<long> ImageBytesStored = Meter.CreateCounter<long>("runtara.environment.images.bytes_stored", "By", "Bytes of image content accepted.");

    public static readonly Counter<long> PurgedRuns = Meter.CreateCounter<long>("runtara.environment.retention.purged_runs", "{run}", "Runs of finished instances deleted with their run directories (retention and DeleteInstance).");

    public static readonly Counter<long> RunsTakenOver = Meter.CreateCounter<long>("runtara.environment.runs.taken_over", "{run}", "Runs claimed from an environment whose lease expired, by what was done (settled, suspended, relaunched).");

    public static readonly Histogram<double> LaunchDuration = Meter.CreateHistogram<double>("runtara.environment.launch.duration", "s", "Time to start an instance process.");
}
