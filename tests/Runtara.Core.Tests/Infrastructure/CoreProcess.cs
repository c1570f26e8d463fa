using System.Diagnostics;
using Runtara.Core.Hosting;

namespace Runtara.Core.Tests.Infrastructure;

/// <summary>
/// The built Runtara.Core.dll run as a child process (<c>dotnet exec</c>), on port 0, with its data
/// directory and storage given on the command line; the bound ports are read from the endpoints file.
/// </summary>
public sealed class CoreProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringWriter _output = new();

    private CoreProcess(Process process, CoreEndpoints endpoints)
    {
        _process = process;
        Endpoints = endpoints;
    }

    public CoreEndpoints Endpoints { get; }

    public int ProcessId => _process.Id;

    public static async Task<CoreProcess> StartAsync(string dataDirectory, string? postgres, TimeSpan timeout)
    {
        var endpointsFile = Path.Combine(dataDirectory, CoreEndpoints.FileName);
        File.Delete(endpointsFile);
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = dataDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[]
        {
            "exec", Path.Combine(AppContext.BaseDirectory, "Runtara.Core.dll"),
            "--Urls=http://127.0.0.1:0",
            "--Runtara:Core:InstancePort=0",
            "--Runtara:Core:ManagementPort=0",
            "--Runtara:Core:Transport=Tcp",
            $"--Runtara:Core:DataDirectory={dataDirectory}",
            $"--Runtara:Core:PostgresConnectionString={postgres ?? string.Empty}",
        })
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["Logging__LogLevel__Default"] = "Warning";
        var process = Process.Start(start) ?? throw new InvalidOperationException("dotnet did not start");
        var output = new StringWriter();
        process.OutputDataReceived += (_, e) => { lock (output) { output.WriteLine(e.Data); } };
        process.ErrorDataReceived += (_, e) => { lock (output) { output.WriteLine(e.Data); } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            if (CoreEndpoints.TryRead(dataDirectory) is { } endpoints && endpoints.ProcessId == process.Id)
            {
                return new CoreProcess(process, endpoints);
            }

            if (process.HasExited || DateTime.UtcNow > deadline)
            {
                var exited = process.HasExited ? $"exited with {process.ExitCode}" : "did not publish its endpoints in time";
                process.Kill();
                await process.WaitForExitAsync();
                string log;
                lock (output)
                {
                    log = output.ToString();
                }

                process.Dispose();
                throw new InvalidOperationException($"The core process {exited}:\n{log}");
            }

            await Task.Delay(20);
        }
    }

    /// <summary>SIGKILL: no shutdown code runs, exactly like a crash or power loss of the process.</summary>
    public async Task KillAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: false);
        }

        await _process.WaitForExitAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        _process.Dispose();
        _output.Dispose();
    }
}
