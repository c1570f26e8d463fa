using System.Text.Json;

namespace Runtara.Templates.Tests;

/// <summary>
/// `dotnet new runtara` as a new user meets it (issue 18): the solution's packages — the libraries and the
/// template, as this build made them — go into a local feed; the template is installed from it (into a hive of
/// the test's own) and instantiated in a directory outside the repository whose nuget.config lists only that
/// feed and nuget.org; the generated solution builds with warnings as errors and its tests pass; and nothing in
/// it refers to this repository.
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

        // Nothing of this repository: no path into it in any generated file, and every Runtara dependency a package of this run.
        foreach (var file in Directory.EnumerateFiles(solution, "*", SearchOption.AllDirectories).Where(f => !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal)))
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

    [Fact]
    public async Task The_bare_option_leaves_out_the_workflow_and_postgres_wires_the_connection_string()
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
    }
}
