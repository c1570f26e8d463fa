using System.Diagnostics;
using System.Text;

namespace Runtara.Sdk.Tests.Infrastructure;

/// <summary>
/// The test workflow program (tests/Runtara.Sdk.TestWorkflow) running as a real child process with
/// the launch contract's environment variables, so a test can kill -9 it and launch it again.
/// </summary>
public sealed class ChildWorkflowProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _stderr = new();

    private ChildWorkflowProcess(Process process, string outputPath)
    {
        _process = process;
        OutputPath = outputPath;
    }

    public string OutputPath { get; }

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    public string StandardError
    {
        get
        {
            lock (_stderr)
            {
                return _stderr.ToString();
            }
        }
    }

    /// <summary>Path of the program next to the test assembly (copied there by the project reference).</summary>
    public static string ProgramPath => Path.Combine(AppContext.BaseDirectory, "Runtara.Sdk.TestWorkflow.dll");

    public static ChildWorkflowProcess Start(IReadOnlyDictionary<string, string> environment, string runDirectory)
    {
        Directory.CreateDirectory(runDirectory);
        var outputPath = Path.Combine(runDirectory, "output.json");
        File.Delete(outputPath);
        var start = new ProcessStartInfo("dotnet")
        {
            UseShellExecute = false,
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            WorkingDirectory = runDirectory,
        };
        start.ArgumentList.Add(ProgramPath);
        start.Environment[InstanceEnvironment.OutputPath] = outputPath;
        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }

        var process = new Process { StartInfo = start };
        var child = new ChildWorkflowProcess(process, outputPath);
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (child._stderr)
                {
                    child._stderr.AppendLine(e.Data);
                }
            }
        };
        process.OutputDataReceived += (_, _) => { };
        process.Start();
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        return child;
    }

    /// <summary>SIGKILL (kill -9): no chance to report anything.</summary>
    public async Task KillAsync()
    {
        _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
    }

    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var deadline = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"The workflow process did not exit within {timeout.TotalSeconds:0} s. stderr:\n{StandardError}");
        }

        return _process.ExitCode;
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        _process.Dispose();
    }
}
