using System.Diagnostics;

namespace Runtara.Bench.Infrastructure;

/// <summary>
/// CPU time and managed allocations of the whole benchmark process (clients, servers, the storage
/// writer: every thread) at one moment. The difference over a measured window divided by its
/// operations is a per-operation cost that, unlike wall-clock figures, hardly moves with the load
/// other work puts on the machine.
/// </summary>
internal readonly record struct ProcessUsage(TimeSpan Cpu, long AllocatedBytes)
{
    public static ProcessUsage Now()
    {
        using var process = Process.GetCurrentProcess();
        return new ProcessUsage(process.TotalProcessorTime, GC.GetTotalAllocatedBytes(precise: true));
    }

    /// <summary>What was used from <paramref name="start"/> until now.</summary>
    public static ProcessUsage Since(ProcessUsage start)
    {
        var now = Now();
        return new ProcessUsage(now.Cpu - start.Cpu, now.AllocatedBytes - start.AllocatedBytes);
    }
}
