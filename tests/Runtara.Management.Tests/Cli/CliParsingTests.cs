using Runtara.Management.Cli;

namespace Runtara.Management.Tests.Cli;

/// <summary>Command-line parsing, usage errors and exit codes of `runtara` (SPEC §16.3, §18.4) without a server.</summary>
public sealed class CliParsingTests
{
    [Theory]
    [InlineData(new[] { "instances", "start" }, "--image")]
    [InlineData(new[] { "images", "register", "x.zip" }, "--name")]
    [InlineData(new[] { "signal", "i-1", "explode" }, "explode")]
    [InlineData(new[] { "instances", "stop" }, "stop")]
    [InlineData(new[] { "no-such-command" }, "no-such-command")]
    [InlineData(new[] { "metrics", "--granularity", "weekly" }, "weekly")]
    [InlineData(new[] { "metrics", "--from", "yesterday-ish" }, "yesterday-ish")]
    public async Task Usage_errors_exit_2_and_say_what_is_wrong(string[] args, string mentioned)
    {
        var (code, _, error) = await RunAsync(args);

        Assert.Equal(global::Runtara.Management.Cli.Cli.UsageError, code);
        Assert.Contains(mentioned, error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Help_lists_every_command_group()
    {
        var (code, output, _) = await RunAsync(["--help"]);

        Assert.Equal(0, code);
        foreach (var command in new[] { "images", "instances", "signal", "checkpoints", "health", "metrics" })
        {
            Assert.Contains(command, output, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Custom_signal_needs_a_checkpoint_and_a_payload()
    {
        var (code, _, error) = await RunAsync(["signal", "i-1", "custom", "only-checkpoint", "--address", "127.0.0.1:1"]);

        Assert.Equal(global::Runtara.Management.Cli.Cli.UsageError, code);
        Assert.Contains("custom needs", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Invalid_json_input_is_refused_before_contacting_the_server()
    {
        var (code, _, error) = await RunAsync(["instances", "start", "--image", "img", "--input", "{nope", "--address", "127.0.0.1:1"]);

        Assert.Equal(global::Runtara.Management.Cli.Cli.UsageError, code);
        Assert.Contains("not valid JSON", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unreachable_server_exits_4()
    {
        var (code, _, error) = await RunAsync(["instances", "list", "--address", "127.0.0.1:1", "--transport", "Tcp"]);

        Assert.Equal(global::Runtara.Management.Cli.Cli.Unavailable, code);
        Assert.Contains("UNAVAILABLE", error, StringComparison.Ordinal);
    }

    [Fact]
    public void The_pinned_certificate_options_reach_the_client_settings()
    {
        var global = new GlobalOptions();
        var root = new System.CommandLine.RootCommand();
        global.AddTo(root);

        var options = global.ClientOptions(root.Parse(["--pinned-cert", "/data/tls/runtara-dev.crt", "--pinned-cert-sha256", "AB:CD"]));

        Assert.Equal("/data/tls/runtara-dev.crt", options.PinnedCertificatePath);
        Assert.Equal("AB:CD", options.PinnedCertificateSha256);
    }

    private static async Task<(int Code, string Output, string Error)> RunAsync(string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var code = await global::Runtara.Management.Cli.Cli.RunAsync(args, output, error);
        return (code, output.ToString(), error.ToString());
    }
}
