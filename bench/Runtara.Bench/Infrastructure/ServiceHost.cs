using Microsoft.Extensions.Hosting;

namespace Runtara.Bench.Infrastructure;

/// <summary>Host builders for the services a benchmark runs in its own process.</summary>
internal static class ServiceHost
{
    /// <summary>
    /// A host builder that reads its settings once. With reload-on-change the host watches the
    /// content root (the working directory) recursively, and the benchmarks' data directories lie
    /// beneath it: every SQLite WAL write would wake the file watcher (measured ~7 % of the CPU of a
    /// core-checkpoints run). The core's own Program.cs turns it off the same way.
    /// </summary>
    public static HostApplicationBuilder CreateBuilder() =>
        Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = ["--hostBuilder:reloadConfigOnChange=false"] });
}
