using System.Collections;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Runtara.Environment.Hosting;
using Runtara.Environment.Storage;
using Runtara.Protocol.Contracts;
using Runtara.Protocol.Rpc;
using Runtara.Protocol.Transport;

namespace Runtara.Environment.Instances;

/// <summary>
/// The environment variables an instance process is launched with (docs/instance-contract.md): a
/// short list passed through from the environment's own, then the request's custom variables, then
/// the contract's <see cref="LaunchVariables"/>, which nothing before them can override.
/// </summary>
internal static class LaunchEnvironment
{
    /// <summary>What an instance inherits from the environment's own variables, besides <c>OTEL_*</c> and <c>DOTNET_*</c>.</summary>
    // LD_LIBRARY_PATH: where the environment found libmsquic, an instance on QUIC must find it too (issue 19).
    public static readonly IReadOnlyList<string> PassThroughVariables = ["PATH", "HOME", "LANG", "LC_ALL", "TZ", "TMPDIR", "DOTNET_ROOT", "SSL_CERT_FILE", "SSL_CERT_DIR", "LD_LIBRARY_PATH"];

    /// <summary>
    /// Builds the variables for one launch of <paramref name="run"/>. Pure: the inherited variables,
    /// the minted token and the current trace are passed in, so tests can pin every input.
    /// </summary>
    /// <param name="inherited">The environment's own variables (<see cref="System.Environment.GetEnvironmentVariables()"/>).</param>
    /// <param name="activity">The trace to continue in the instance, if any.</param>
    /// <param name="ownUser">
    /// True when the instance runs as a user of its own: <c>HOME</c> is then its workspace, since the
    /// environment's home is not its to read.
    /// </param>
    public static Dictionary<string, string> Build(
        RunRecord run, string imageName, RunDirectory directory, string? checkpointId, string instanceToken,
        EnvironmentOptions options, IDictionary inherited, Activity? activity, bool ownUser = false)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(directory);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(inherited);
        var variables = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var name in PassThroughVariables)
        {
            if (inherited[name] is string value)
            {
                variables[name] = value;
            }
        }

        foreach (DictionaryEntry entry in inherited)
        {
            if (entry.Key is string key && entry.Value is string value && IsRuntimeSetting(key))
            {
                variables[key] = value;
            }
        }

        if (ownUser)
        {
            variables["HOME"] = directory.WorkspacePath;
        }

        // The host's /tmp is shared by every run (and user): temporary files stay in the run's own folder.
        variables["TMPDIR"] = directory.TempPath;

        if (variables.ContainsKey("OTEL_SERVICE_NAME"))
        {
            variables["OTEL_SERVICE_NAME"] = imageName;
        }

        // Custom variables first, so they can never override what the environment sets (SPEC §19.4).
        if (run.Env is { Length: > 0 } json)
        {
            foreach (var (key, value) in JsonSerializer.Deserialize<Dictionary<string, string>>(json) ?? [])
            {
                variables[key] = value;
            }
        }

        variables[LaunchVariables.InstanceId] = run.InstanceId;
        variables[LaunchVariables.TenantId] = run.TenantId;
        // Set after the custom variables, so a request can never choose the credential (docs/security.md).
        variables[LaunchVariables.InstanceToken] = instanceToken;
        variables[LaunchVariables.ServerAddress] = CoreAddressForInstances(options);
        variables[LaunchVariables.Transport] = InstanceTransport(options.Transport);
        variables[LaunchVariables.InputPath] = directory.InputPath;
        variables[LaunchVariables.OutputPath] = directory.OutputPath;
        variables[LaunchVariables.WorkspaceDirectory] = directory.WorkspacePath;
        // Optional ones are removed when unset, so a custom variable cannot stand in for them either.
        Set(variables, LaunchVariables.ServerName, options.CoreTls.ServerName);
        Set(variables, LaunchVariables.PinnedCertificate, FullPath(options.CoreTls.PinnedCertificatePath));
        Set(variables, LaunchVariables.CaCertificate, FullPath(options.CoreTls.CaCertificatePath));
        Set(variables, LaunchVariables.SkipCertificateVerification, options.CoreTls.DangerousSkipCertificateVerification ? "true" : null);
        Set(variables, LaunchVariables.CheckpointId, checkpointId);
        Set(variables, LaunchVariables.HeartbeatIntervalMs, options.InstanceHeartbeatIntervalMs?.ToString(CultureInfo.InvariantCulture));
        Set(variables, LaunchVariables.WaitGraceMs, options.InstanceWaitGracePeriod is { } grace ? ((long)grace.TotalMilliseconds).ToString(CultureInfo.InvariantCulture) : null);
        if (activity is not null)
        {
            variables[LaunchVariables.TraceParent] = activity.Id ?? string.Empty;
            Set(variables, LaunchVariables.TraceState, activity.TraceStateString);
        }

        return variables;

        // OTEL_* and DOTNET_* configure telemetry and the runtime. A name with "__" is a configuration key
        // instead (the .NET host reads DOTNET_ConnectionStrings__db as ConnectionStrings:db): never passed,
        // it could carry the environment's own secrets (docs/security.md).
        static bool IsRuntimeSetting(string key) =>
            (key.StartsWith("OTEL_", StringComparison.Ordinal) || key.StartsWith("DOTNET_", StringComparison.Ordinal)) && !key.Contains("__", StringComparison.Ordinal);

        static string CoreAddressForInstances(EnvironmentOptions options) =>
            options.CoreInstanceSocket is { Length: > 0 } socket && File.Exists(socket)
                ? RpcAddress.UnixScheme + Path.GetFullPath(socket)
                : options.CoreInstanceAddress ?? "127.0.0.1:8001";

        // Auto gives instances TLS/TCP even where the environment runs QUIC: an instance makes its calls
        // one after another from a new process, where QUIC's round trip is still slower than TLS/TCP's
        // (docs/protocol.md, "Choosing"). Quic is passed on as asked.
        static string InstanceTransport(TransportKind transport) =>
            (transport == TransportKind.Auto ? TransportKind.Tcp : transport).ToString().ToLowerInvariant();

        static void Set(Dictionary<string, string> variables, string key, string? value)
        {
            if (!string.IsNullOrEmpty(value))
            {
                variables[key] = value;
            }
            else
            {
                variables.Remove(key);
            }
        }

        static string? FullPath(string? path) => string.IsNullOrWhiteSpace(path) ? null : Path.GetFullPath(path);
    }
}
