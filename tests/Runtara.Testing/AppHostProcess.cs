using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Runtara.Testing;

/// <summary>
/// An Aspire AppHost as a real process, the way a developer runs it (<c>dotnet run --project X.AppHost</c>),
/// with the dashboard on (Aspire.Hosting.Testing turns it off). It gets free ports for the dashboard
/// instead of the launch profile's 18888-18890, so it never collides with an AppHost a developer has
/// running. It runs in its own session (setsid) so that stopping it is what Ctrl+C does: SIGINT to the
/// whole process group. SIGINT is reset to its default action first (<c>env --default-signal=INT</c>): a
/// test run started in the background of a script or under nohup ignores SIGINT, an ignored signal stays
/// ignored across exec, and the .NET host then leaves it ignored — the AppHost would not stop on Ctrl+C
/// and its core and environment would live on.
/// </summary>
public sealed class AppHostProcess : IAsyncDisposable
{
    private readonly Process _process;

    private AppHostProcess(Process process, string dashboardUrl)
    {
        _process = process;
        DashboardUrl = dashboardUrl;
    }

    public string DashboardUrl { get; }

    /// <summary>This repository's Runtara.AppHost (already built), its data under <paramref name="dataDirectory"/>, Aspire-chosen protocol ports.</summary>
    public static AppHostProcess Start(string dataDirectory, Action<string> log) =>
        Start(
            Path.Combine(Repository.Root, "Runtara.AppHost", "Runtara.AppHost.csproj"),
            Repository.Root,
            Repository.Configuration,
            ["--Runtara:AppHost:FixedPorts=false", $"--Runtara:AppHost:DataDirectory={dataDirectory}"],
            log);

    /// <summary>Runs the AppHost project <paramref name="project"/> (already built in <paramref name="configuration"/>) with <paramref name="arguments"/>.</summary>
    public static AppHostProcess Start(string project, string workingDirectory, string configuration, IEnumerable<string> arguments, Action<string> log)
    {
        var dashboard = $"http://127.0.0.1:{FreePort()}";
        var start = new ProcessStartInfo("setsid")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory,
        };
        foreach (var argument in new[] { "env", "--default-signal=INT", "dotnet", "run", "--project", project, "--no-build", "--no-launch-profile", "-c", configuration, "--" }.Concat(arguments))
        {
            start.ArgumentList.Add(argument);
        }

        // What Properties/launchSettings.json sets, on free ports.
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Development";
        start.Environment["DOTNET_ENVIRONMENT"] = "Development";
        start.Environment["ASPNETCORE_URLS"] = dashboard;
        start.Environment["ASPIRE_ALLOW_UNSECURED_TRANSPORT"] = "true";
        start.Environment["ASPIRE_DASHBOARD_OTLP_ENDPOINT_URL"] = $"http://127.0.0.1:{FreePort()}";
        start.Environment["ASPIRE_RESOURCE_SERVICE_ENDPOINT_URL"] = $"http://127.0.0.1:{FreePort()}";
        start.Environment["ASPIRE_DASHBOARD_UNSECURED_ALLOW_ANONYMOUS"] = "true";
        foreach (var inherited in start.Environment.Keys.Where(k => k.StartsWith("OTEL_", StringComparison.Ordinal)).ToList())
        {
            start.Environment.Remove(inherited);
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start the AppHost.");
        process.OutputDataReceived += (_, e) => Log(e.Data);
        process.ErrorDataReceived += (_, e) => Log(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return new AppHostProcess(process, dashboard);

        void Log(string? line)
        {
            if (line is not null)
            {
                try
                {
                    log(line);
                }
                catch (InvalidOperationException)
                {
                    // The test has finished; xunit no longer takes output.
                }
            }
        }
    }

    /// <summary>Waits until the dashboard answers HTTP.</summary>
    public async Task WaitForDashboardAsync(TimeSpan timeout)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        await Wait.UntilAsync(
            async () =>
            {
                if (_process.HasExited)
                {
                    throw new InvalidOperationException($"The AppHost exited with code {_process.ExitCode} before its dashboard came up.");
                }

                try
                {
                    return (await http.GetAsync(new Uri(DashboardUrl))).IsSuccessStatusCode;
                }
                catch (HttpRequestException)
                {
                    return false;
                }
                catch (TaskCanceledException)
                {
                    return false;
                }
            },
            up => up, timeout, "the Aspire dashboard to answer");
    }

    /// <summary>Ctrl+C: SIGINT to the process group, then waits for the AppHost to exit (SIGKILL to the group as a last resort).</summary>
    public async Task<bool> StopAsync(TimeSpan timeout)
    {
        if (!_process.HasExited)
        {
            Signal("INT");
        }

        using var wait = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(wait.Token);
            return true;
        }
        catch (OperationCanceledException)
        {
            Signal("KILL");
            return false;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync(TimeSpan.FromSeconds(60));
        _process.Dispose();
    }

    private void Signal(string signal)
    {
        using var kill = Process.Start("kill", [$"-{signal}", "--", $"-{_process.Id}"]);
        kill.WaitForExit();
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
