using System.Diagnostics;

namespace Runtara.Bench.Infrastructure;

/// <summary>
/// A Runtara server (the core or the environment) run as its own process from the assemblies next to
/// the benchmark (<c>dotnet Runtara.Core.dll</c>, JIT, as an operator would run it), so that its
/// memory can be read from /proc apart from the benchmark's. Output goes to a log file in its data
/// directory; settings are given as <c>--Key=value</c> arguments.
/// </summary>
internal sealed class ServerProcess : IAsyncDisposable
{
    private readonly Process _process;
    private bool _disposed;

    private ServerProcess(Process process, string logPath)
    {
        _process = process;
        LogPath = logPath;
    }

    public int Id => _process.Id;

    public string LogPath { get; }

    /// <summary>
    /// Starts <paramref name="assembly"/> (e.g. <c>Runtara.Core</c>) and waits until <paramref name="ready"/>
    /// returns a value (its endpoints file), failing with the log's tail if it exits or takes longer than a minute.
    /// </summary>
    public static async Task<(ServerProcess Server, T Ready)> StartAsync<T>(string assembly, string dataDirectory, IReadOnlyDictionary<string, string> settings, Func<T?> ready, CancellationToken cancellationToken)
        where T : class
    {
        Directory.CreateDirectory(dataDirectory);
        var log = Path.Combine(dataDirectory, $"{assembly}.log");
        // Through the shell only to send both streams to the log; exec keeps the server's pid.
        var start = new ProcessStartInfo("/bin/sh") { UseShellExecute = false, WorkingDirectory = dataDirectory };
        foreach (var argument in new[] { "-c", $"exec \"$0\" \"$@\" >>'{log}' 2>&1", "dotnet", Path.Combine(AppContext.BaseDirectory, assembly + ".dll") })
        {
            start.ArgumentList.Add(argument);
        }

        // The web host's HTTP endpoints (health) on a free port, so two servers do not collide on 5000.
        start.ArgumentList.Add("--urls=http://127.0.0.1:0");
        foreach (var (key, value) in settings)
        {
            start.ArgumentList.Add($"--{key}={value}");
        }

        var server = new ServerProcess(Process.Start(start) ?? throw new InvalidOperationException($"Cannot start {assembly}."), log);
        var began = Stopwatch.GetTimestamp();
        while (true)
        {
            if (ready() is { } value)
            {
                return (server, value);
            }

            if (server._process.HasExited || Stopwatch.GetElapsedTime(began) > TimeSpan.FromMinutes(1))
            {
                await server.DisposeAsync();
                throw new InvalidOperationException($"{assembly} did not start; the end of {log}:\n{server.LogTail()}");
            }

            await Task.Delay(50, cancellationToken);
        }
    }

    /// <summary>The last few KiB of the server's log, for error messages.</summary>
    public string LogTail()
    {
        try
        {
            var text = File.ReadAllText(LogPath);
            return text.Length > 4096 ? text[^4096..] : text;
        }
        catch (IOException)
        {
            return string.Empty;
        }
    }

    /// <summary>Stops the server: SIGTERM, then SIGKILL if it has not exited after 10 s.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        if (!_process.HasExited)
        {
            using (var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!)
            {
                await kill.WaitForExitAsync();
            }

            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            try
            {
                await _process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                _process.Kill();
            }
        }

        _process.Dispose();
    }
}
