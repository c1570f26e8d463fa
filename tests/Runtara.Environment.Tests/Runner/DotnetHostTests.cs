using Runtara.Environment.Runner;

namespace Runtara.Environment.Tests.Runner;

/// <summary>Which <c>dotnet</c> runs a framework-dependent image.</summary>
public sealed class DotnetHostTests
{
    private static readonly string HostName = OperatingSystem.IsWindows() ? "dotnet.exe" : "dotnet";

    [Fact]
    public void A_configured_host_path_is_used_as_given()
    {
        Assert.Equal("/opt/dotnet/dotnet", DotnetHost.Resolve("/opt/dotnet/dotnet"));
    }

    [Fact]
    public void The_host_next_to_the_runtime_is_found_from_the_runtime_directory()
    {
        using var root = new TempDirectory();
        var runtime = Directory.CreateDirectory(Path.Combine(root.Path, "shared", "Microsoft.NETCore.App", "10.0.0")).FullName + Path.DirectorySeparatorChar;
        var host = Path.Combine(root.Path, HostName);
        File.WriteAllText(host, string.Empty);

        Assert.Equal(host, DotnetHost.Find(hostPathVariable: null, runtime));
    }

    [Fact]
    public void DOTNET_HOST_PATH_wins_when_its_file_exists()
    {
        using var root = new TempDirectory();
        var fromVariable = Path.Combine(root.Path, "sdk-host");
        File.WriteAllText(fromVariable, string.Empty);
        var runtime = Path.Combine(root.Path, "shared", "Microsoft.NETCore.App", "10.0.0");
        File.WriteAllText(Path.Combine(root.Path, HostName), string.Empty);

        Assert.Equal(fromVariable, DotnetHost.Find(fromVariable, runtime));
        Assert.Equal(Path.Combine(root.Path, HostName), DotnetHost.Find(Path.Combine(root.Path, "gone"), runtime));
    }

    [Fact]
    public void Without_a_host_file_plain_dotnet_is_left_to_PATH()
    {
        using var root = new TempDirectory();

        Assert.Equal("dotnet", DotnetHost.Find(null, Path.Combine(root.Path, "shared", "Microsoft.NETCore.App", "10.0.0")));
        Assert.Equal("dotnet", DotnetHost.Find(null, "/"));
    }
}
