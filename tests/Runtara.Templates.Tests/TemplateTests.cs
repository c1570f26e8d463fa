using System.Security.Cryptography;
using System.Text.Json;

namespace Runtara.Templates.Tests;

/// <summary>
/// `dotnet new runtara` as a new user meets it (issue 18): the solution's packages — the libraries and the
/// template, as this build made them — go into a local feed; the template is installed from it (into a hive of
/// the test's own) and instantiated in a directory outside the repository whose nuget.config lists only that
/// feed and nuget.org; the generated solution builds with warnings as errors and its tests pass; its AppHost runs
/// the platform from the packages and the first workflow completes, driven by the CLI tool from the same feed;
/// and nothing in it refers to this repository.
/// </summary>
public sealed class TemplateTests(ITestOutputHelper output)
{
    [Fact]
    public async Task The_generated_solution_builds_and_its_tests_pass_on_the_packages_alone()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(12));
        var ct = timeout.Token;
        using var work = new TempDirectory("runtara-template");
        var feed = Directory.CreateDirectory(Path.Combine(work.Path, "feed")).FullName;
        // A version of this run's own: the global package cache never serves an older build of the same version.
        var suffix = $"test.{DateTime.UtcNow:yyyyMMddHHmmss}.{Environment.ProcessId}";
        await ChildProcess.DotnetAsync(
            Repository.Root,
            ["pack", Path.Combine(Repository.Root, "Runtara.sln"), "-c", Repository.Configuration, "--no-build", "-o", feed, $"-p:VersionSuffix={suffix}", "-nologo"],
            ct);
        var template = Assert.Single(Directory.GetFiles(feed, "Runtara.Templates.*.nupkg"));
        var version = Path.GetFileNameWithoutExtension(template)["Runtara.Templates.".Length..];
        output.WriteLine($"packed {Directory.GetFiles(feed, "*.nupkg").Length} packages of version {version} into {feed}");

        // The CLI as a .NET tool, from the same feed.
        var tools = Path.Combine(work.Path, "tools");
        await ChildProcess.DotnetAsync(work.Path, ["tool", "install", "--tool-path", tools, "--add-source", feed, "Runtara.Cli", "--version", version], ct);
        var help = await ChildProcess.RunAsync(Path.Combine(tools, "runtara"), work.Path, ["--help"], ct);
        Assert.Contains("images", help, StringComparison.Ordinal);

        var hive = Path.Combine(work.Path, "hive");
        await ChildProcess.DotnetAsync(work.Path, ["new", "install", template, "--debug:custom-hive", hive], ct);
        var root = Directory.CreateDirectory(Path.Combine(work.Path, "app")).FullName;
        await File.WriteAllTextAsync(Path.Combine(root, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <clear />
                <add key="local" value="{feed}" />
                <add key="nuget.org" value="https://api.nuget.org/v3/index.json" />
              </packageSources>
            </configuration>
            """, ct);
        await ChildProcess.DotnetAsync(root, ["new", "runtara", "-n", "Acme", "-o", "Acme", "--debug:custom-hive", hive], ct);
        var solution = Path.Combine(root, "Acme");
        Assert.True(File.Exists(Path.Combine(solution, "Acme.AppHost", "AppHost.cs")));
        Assert.True(File.Exists(Path.Combine(solution, "Acme.Workflows.Tests", "FirstWorkflowTests.cs")));

        await ChildProcess.DotnetAsync(solution, ["build", "-warnaserror", "-nologo"], ct);
        var tests = await ChildProcess.DotnetAsync(solution, ["test", "--no-build", "-nologo"], ct);
        output.WriteLine(tests);
        Assert.Contains("Passed!", tests, StringComparison.Ordinal);

        await RunTheAppHostAsync(solution, Path.Combine(tools, "runtara"), ct);

        // Nothing of this repository: no path into it in any generated file, and every Runtara dependency a package of this run.
        foreach (var file in Directory.EnumerateFiles(solution, "*", SearchOption.AllDirectories).Where(f => !IsOutput(f)))
        {
            Assert.DoesNotContain(Repository.Root, await File.ReadAllTextAsync(file, ct), StringComparison.Ordinal);
        }

        foreach (var assets in Directory.EnumerateFiles(solution, "project.assets.json", SearchOption.AllDirectories))
        {
            using var document = JsonDocument.Parse(await File.ReadAllTextAsync(assets, ct));
            foreach (var library in document.RootElement.GetProperty("libraries").EnumerateObject().Where(l => l.Name.StartsWith("Runtara.", StringComparison.Ordinal)))
            {
                Assert.Equal("package", library.Value.GetProperty("type").GetString());
                Assert.EndsWith(suffix, library.Name, StringComparison.Ordinal);
            }
        }
    }

    /// <summary>
    /// The generated AppHost, run as a developer runs it: the core and the environment come from the Runtara.Hosting
    /// package, the first workflow is registered as an image; the CLI tool lists it, starts it, approves it and sees it
    /// complete. Ctrl+C stops everything.
    /// </summary>
    private async Task RunTheAppHostAsync(string solution, string runtara, CancellationToken ct)
    {
        var apiKey = Convert.ToHexString(RandomNumberGenerator.GetBytes(24));
        var appHostDirectory = Path.Combine(solution, "Acme.AppHost");
        var environmentData = Path.Combine(appHostDirectory, ".runtara", "environment");
        await using (var appHost = AppHostProcess.Start(
            Path.Combine(appHostDirectory, "Acme.AppHost.csproj"), solution, "Debug", [$"--Parameters:environment-api-key={apiKey}"], Log))
        {
            var port = await Wait.UntilAsync(() => Task.FromResult(EnvironmentPort(environmentData)), p => p > 0, TimeSpan.FromMinutes(3), "the environment's endpoints file");
            var cli = new Dictionary<string, string?>
            {
                ["RUNTARA_ENVIRONMENT_ADDR"] = $"127.0.0.1:{port}",
                ["RUNTARA_TLS_PINNED_CERT"] = Path.Combine(environmentData, "tls", "runtara-dev.crt"),
                ["RUNTARA_API_KEY"] = apiKey,
                ["RUNTARA_TENANT_ID"] = "aspire",
            };
            Task<string> Runtara(params string[] arguments) => ChildProcess.RunAsync(runtara, solution, arguments, ct, cli);

            var image = await Wait.UntilAsync(async () => FirstWorkflowImage(await Runtara("images", "list", "-o", "json")), id => id is not null, TimeSpan.FromMinutes(3), "first-workflow to be registered");
            await Runtara("instances", "start", "--image", image!, "--instance-id", "order-1", "--input", """{"orderId":"order-1","reminderAfter":"00:00:01"}""");
            await Wait.UntilAsync(() => Runtara("instances", "status", "order-1", "-o", "json"), status => status.Contains("approve", StringComparison.Ordinal), TimeSpan.FromMinutes(2), "order-1 to wait for its approval");
            await Runtara("signal", "order-1", "custom", "approve", """{"approved":true,"by":"ann"}""");
            var done = await Runtara("instances", "wait", "order-1", "--timeout", "120", "-o", "json");
            output.WriteLine(done);
            Assert.Contains("completed", done, StringComparison.OrdinalIgnoreCase);
            Assert.Contains("ann", done, StringComparison.Ordinal);
            Assert.True(await appHost.StopAsync(TimeSpan.FromSeconds(60)), "the AppHost did not stop within 60 s of Ctrl+C");
        }

        var left = await LeftoverProcesses.WaitUntilGoneAsync(appHostDirectory, TimeSpan.FromSeconds(30));
        Assert.True(left.Count == 0, "processes left behind:\n" + string.Join('\n', left));
    }

    private void Log(string line)
    {
        try
        {
            output.WriteLine(line);
        }
        catch (InvalidOperationException)
        {
            // The test has ended; xunit takes no more output.
        }
    }

    private static int EnvironmentPort(string dataDirectory)
    {
        try
        {
            using var endpoints = JsonDocument.Parse(File.ReadAllText(Path.Combine(dataDirectory, "environment.endpoints.json")));
            return endpoints.RootElement.GetProperty("port").GetInt32();
        }
        catch (Exception ex) when (ex is IOException or JsonException)
        {
            return 0; // not written yet
        }
    }

    private static string? FirstWorkflowImage(string json)
    {
        using var list = JsonDocument.Parse(json);
        var images = list.RootElement.EnumerateObject().First(p => p.Name.Equals("images", StringComparison.OrdinalIgnoreCase)).Value;
        return images.EnumerateArray()
            .Where(i => i.EnumerateObject().Any(p => p.Name.Equals("name", StringComparison.OrdinalIgnoreCase) && p.Value.GetString() == "first-workflow"))
            .Select(i => i.EnumerateObject().First(p => p.Name.Equals("imageId", StringComparison.OrdinalIgnoreCase)).Value.GetString())
            .FirstOrDefault();
    }

    /// <summary>Build output and the AppHost's data (certificates, databases): not part of what the template generated.</summary>
    private static bool IsOutput(string path) =>
        path.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
        || path.Contains($"{Path.DirectorySeparatorChar}.runtara{Path.DirectorySeparatorChar}", StringComparison.Ordinal);

    [Fact]
    public async Task The_options_leave_out_the_workflow_wire_postgres_and_register_the_workflow_ahead_of_time()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        var ct = timeout.Token;
        using var work = new TempDirectory("runtara-template-options");
        var hive = Path.Combine(work.Path, "hive");
        // Installed from the template folder itself: only the files' shape is checked here, nothing is built.
        await ChildProcess.DotnetAsync(work.Path, ["new", "install", Path.Combine(Repository.Root, "templates", "Runtara.Templates", "content", "runtara"), "--debug:custom-hive", hive], ct);
        await ChildProcess.DotnetAsync(work.Path, ["new", "runtara", "-n", "Bare", "-o", "Bare", "--no-sample", "--postgres", "--debug:custom-hive", hive], ct);

        var bare = Path.Combine(work.Path, "Bare");
        Assert.False(Directory.Exists(Path.Combine(bare, "Bare.Workflows")));
        Assert.False(Directory.Exists(Path.Combine(bare, "Bare.Workflows.Tests")));
        Assert.DoesNotContain("Workflows", await File.ReadAllTextAsync(Path.Combine(bare, "Bare.slnx"), ct), StringComparison.Ordinal);
        var appHost = await File.ReadAllTextAsync(Path.Combine(bare, "Bare.AppHost", "AppHost.cs"), ct);
        Assert.Contains("AddConnectionString(\"runtara-postgres\")", appHost, StringComparison.Ordinal);
        Assert.DoesNotContain("AddImage", appHost, StringComparison.Ordinal);
        Assert.DoesNotContain("#if", appHost, StringComparison.Ordinal);

        await ChildProcess.DotnetAsync(work.Path, ["new", "runtara", "-n", "Native", "-o", "Native", "--aot", "--debug:custom-hive", hive], ct);
        var native = await File.ReadAllTextAsync(Path.Combine(work.Path, "Native", "Native.AppHost", "AppHost.cs"), ct);
        Assert.Contains("AddImage<Projects.Native_Workflows>(\"first-workflow\")\n    .WithNativeAot()", native, StringComparison.Ordinal);
        Assert.DoesNotContain("AddConnectionString(\"runtara-postgres\");\ncore.WithPostgres", native, StringComparison.Ordinal);
    }
}
