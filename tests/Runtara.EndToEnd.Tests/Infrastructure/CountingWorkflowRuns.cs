using System.Globalization;
using System.Text;
using Runtara.Protocol.Contracts;

namespace Runtara.EndToEnd.Tests.Infrastructure;

/// <summary>What runs of the counting workflow (tests/Runtara.Sdk.TestWorkflow) leave behind, seen from outside their processes.</summary>
public static class CountingWorkflowRuns
{
    /// <summary>The counting workflow's step counters: the parent's in <paramref name="counters"/>, child c's (steps 0..c) in <c>child-c</c>; one line each.</summary>
    public static void AssertEachStepRanOnce(string counters, int parentSteps, int children = 0)
    {
        static int Runs(string folder, int step) => File.ReadAllLines(Path.Combine(folder, $"work-{step}.count")).Length;

        for (var k = 0; k < parentSteps; k++)
        {
            Assert.Equal(1, Runs(counters, k));
        }

        for (var c = 0; c < children; c++)
        {
            var folder = Path.Combine(counters, $"child-{c}");
            Assert.Equal(c + 1, Directory.GetFiles(folder, "*.count").Length);
            for (var k = 0; k <= c; k++)
            {
                Assert.Equal(1, Runs(folder, k));
            }
        }
    }

    /// <summary>
    /// Waits until a process of the run has arrived at the hold <paramref name="holdFile"/> (the workflow
    /// writes its pid to <c>&lt;counters&gt;/&lt;hold file name&gt;.reached</c>) and returns that pid.
    /// </summary>
    public static async Task<int> ReachedHoldAsync(string counters, string holdFile, TimeSpan timeout)
    {
        var marker = Path.Combine(counters, Path.GetFileName(holdFile) + ".reached");
        var pid = await Wait.UntilAsync(() => Task.FromResult(ReadPid(marker)), pid => pid is not null, timeout, $"a process to reach the hold {Path.GetFileName(holdFile)}");
        return pid!.Value;
    }

    /// <summary>Processes whose environment names the instance (its launch contract's RUNTARA_INSTANCE_ID).</summary>
    public static List<int> ProcessesOf(string instanceId)
    {
        var marker = Encoding.UTF8.GetBytes($"{LaunchVariables.InstanceId}={instanceId}\0");
        var found = new List<int>();
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), out var pid))
            {
                continue;
            }

            try
            {
                if (File.ReadAllBytes(Path.Combine(directory, "environ")).AsSpan().IndexOf(marker) >= 0)
                {
                    found.Add(pid);
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // Gone, or not ours to read.
            }
        }

        return found;
    }

    private static int? ReadPid(string path)
    {
        try
        {
            // Empty while the workflow is still writing it.
            return int.TryParse(File.ReadAllText(path), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) ? pid : null;
        }
        catch (IOException)
        {
            // Not there yet.
            return null;
        }
    }
}
