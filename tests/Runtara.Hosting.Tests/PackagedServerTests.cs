using System.Text.Json;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using static Runtara.Hosting.Tests.ModelHelpers;

namespace Runtara.Hosting.Tests;

/// <summary>
/// AddRuntaraCore / AddRuntaraEnvironment from the Runtara.Hosting package: the servers packed under
/// <c>tools/&lt;folder&gt;/</c> with a launcher project, run as project resources whose process is the packaged dll.
/// A package layout is built in a temporary folder from the launcher (Servers/Runtara.Server.proj), the build file
/// (build/Runtara.Hosting.targets) and the servers' launch profiles.
/// </summary>
public sealed class PackagedServerTests : IDisposable
{
    private static readonly string RepositoryRoot = Path.GetDirectoryName(Path.GetDirectoryName(RuntaraProjects.Core.ProjectPath))!;

    /// <summary>The root of a package layout: <c>build/</c>, <c>tools/</c>.</summary>
    private readonly string _package = Directory.CreateTempSubdirectory("runtara-package-").FullName;

    private string Tools => Path.Combine(_package, "tools");

    public void Dispose() => Directory.Delete(_package, recursive: true);

    [Fact]
    public void Without_packaged_servers_the_repository_projects_run_from_source()
    {
        Assert.EndsWith(Path.Combine("Runtara.Core", "Runtara.Core.csproj"), RuntaraProjects.Find(Tools, "core", "Runtara.Core", "Runtara.Hosting.CoreProject").ProjectPath, StringComparison.Ordinal);
        Assert.EndsWith(Path.Combine("Runtara.Environment", "Runtara.Environment.csproj"), RuntaraProjects.Find(Tools, "environment", "Runtara.Environment", "Runtara.Hosting.EnvironmentProject").ProjectPath, StringComparison.Ordinal);
    }

    [Fact(Timeout = 30_000)]
    public async Task With_packaged_servers_core_and_environment_run_the_packaged_launchers_with_the_same_endpoints_and_variables()
    {
        var coreLauncher = Pack("core", "Runtara.Core");
        var environmentLauncher = Pack("environment", "Runtara.Environment");
        var builder = DistributedApplication.CreateBuilder();

        var core = builder.AddRuntaraCore("core", RuntaraProjects.Find(Tools, "core", "Runtara.Core", "Runtara.Hosting.CoreProject"), RuntaraPorts.Instance, RuntaraPorts.Management);
        var environment = builder.AddRuntaraEnvironment("environment", RuntaraProjects.Find(Tools, "environment", "Runtara.Environment", "Runtara.Hosting.EnvironmentProject"), RuntaraPorts.Environment)
            .WithReference(core);
        AllocateAll(core.Resource, environment.Resource);

        Assert.Equal(coreLauncher, core.Resource.GetProjectMetadata().ProjectPath);
        Assert.Equal(environmentLauncher, environment.Resource.GetProjectMetadata().ProjectPath);
        // Built in the package: Aspire runs it with --no-build.
        Assert.True(core.Resource.GetProjectMetadata().SuppressBuild);
        // The packaged launch profile gives the health endpoint, as from source.
        Assert.Equal("127.0.0.1", Assert.Single(core.Resource.Annotations.OfType<EndpointAnnotation>(), e => e.UriScheme == "http").TargetHost);
        Assert.Single(environment.Resource.Annotations.OfType<EndpointAnnotation>(), e => e.UriScheme == "http");
        Assert.Equal((8001, false), (Endpoint(core.Resource, "instance").Port!.Value, Endpoint(core.Resource, "instance").IsProxied));
        var variables = await VariablesAsync(environment.Resource);
        Assert.Equal("tcp://127.0.0.1:8003", variables["Runtara__Environment__CoreAddress"]);
        Assert.Equal(environment.Resource.DataDirectory, variables["Runtara__Environment__DataDirectory"]);
        Assert.Equal("Development", variables["ASPNETCORE_ENVIRONMENT"]);
    }

    [Fact(Timeout = 60_000)]
    public async Task The_launcher_makes_dotnet_run_execute_the_packaged_server_dll_in_its_folder()
    {
        var launcher = Pack("core", "Runtara.Core");

        var json = await Aspire.Hosting.Images.DotnetCli.RunAsync(["msbuild", launcher, "-getProperty:RunCommand", "-getProperty:RunArguments", "-getProperty:RunWorkingDirectory", "-getProperty:OutputType"], CancellationToken.None);

        var properties = JsonDocument.Parse(json).RootElement.GetProperty("Properties");
        var folder = Path.GetDirectoryName(launcher)! + Path.DirectorySeparatorChar;
        Assert.Equal($"exec \"{folder}Runtara.Core.dll\"", properties.GetProperty("RunArguments").GetString());
        Assert.Equal(folder, properties.GetProperty("RunWorkingDirectory").GetString());
        Assert.Equal("Exe", properties.GetProperty("OutputType").GetString());
        Assert.EndsWith("dotnet", Path.GetFileNameWithoutExtension(properties.GetProperty("RunCommand").GetString()), StringComparison.Ordinal);
    }

    [Fact(Timeout = 60_000)]
    public async Task The_packages_build_file_tells_the_app_where_the_servers_are_through_its_runtimeconfig()
    {
        // As in the package: <package>/build/Runtara.Hosting.targets beside <package>/tools/.
        var targets = Path.Combine(Directory.CreateDirectory(Path.Combine(_package, "build")).FullName, "Runtara.Hosting.targets");
        File.Copy(Path.Combine(RepositoryRoot, "Runtara.Hosting", "build", "Runtara.Hosting.targets"), targets);

        var json = await Aspire.Hosting.Images.DotnetCli.RunAsync(["msbuild", targets, "-getItem:RuntimeHostConfigurationOption"], CancellationToken.None);

        var option = Assert.Single(JsonDocument.Parse(json).RootElement.GetProperty("Items").GetProperty("RuntimeHostConfigurationOption").EnumerateArray());
        Assert.Equal(RuntaraProjects.ServersDirectoryProperty, option.GetProperty("Identity").GetString());
        Assert.Equal(Tools + Path.DirectorySeparatorChar, option.GetProperty("Value").GetString());
    }

    /// <summary>Lays out one server as the package does (the .csproj's _RuntaraPackServers): launcher and launch profile; returns the launcher's path.</summary>
    private string Pack(string folder, string assemblyName)
    {
        var directory = Directory.CreateDirectory(Path.Combine(Tools, folder, "Properties")).Parent!.FullName;
        var launcher = Path.Combine(directory, assemblyName + ".proj");
        File.Copy(Path.Combine(RepositoryRoot, "Runtara.Hosting", "Servers", "Runtara.Server.proj"), launcher);
        File.Copy(Path.Combine(RepositoryRoot, assemblyName, "Properties", "launchSettings.json"), Path.Combine(directory, "Properties", "launchSettings.json"));
        return launcher;
    }
}
