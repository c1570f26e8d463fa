using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Runtara.Environment.Instances;
using Runtara.Environment.Security;
using Runtara.Environment.Storage;
using Runtara.Environment.Storage.Sqlite;
using Runtara.Protocol.Environment;
using Runtara.Protocol.Rpc;
using Runtara.Protocol.Security;

namespace Runtara.Environment.Hosting;

/// <summary>
/// Starts the environment: migrations, recovery of the runs a previous process left (re-adopt live
/// processes, settle the rest), then the environment-protocol server. Registered before the workers,
/// so they start against a migrated store.
/// </summary>
internal sealed class EnvironmentServer(
    IEnvironmentStore store,
    InstanceSupervisor supervisor,
    IRpcHandler<RpcRequest, RpcResponse> handler,
    ApiKeyAuthenticator authenticator,
    IOptions<EnvironmentOptions> options,
    ILoggerFactory loggerFactory) : IHostedService, IAsyncDisposable
{
    private readonly EnvironmentOptions _options = options.Value;
    private readonly ILogger _logger = loggerFactory.CreateLogger<EnvironmentServer>();
    private RpcServer<RpcRequest, RpcResponse>? _server;

    /// <summary>The bound port (valid after start).</summary>
    public int Port => _server?.Port ?? throw new InvalidOperationException("The environment server is not started.");

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var data = _options.ResolveDataDirectory();
        Directory.CreateDirectory(data);
        await store.MigrateAsync(cancellationToken).ConfigureAwait(false);
        DataDirectoryPermissions.Apply(data, (store as SqliteEnvironmentStore)?.Path);
        await RecoverAsync(cancellationToken).ConfigureAwait(false);

        var tls = _options.Tls;
        if (string.IsNullOrWhiteSpace(tls.CertificatePath) && string.IsNullOrWhiteSpace(tls.DevelopmentCertificateDirectory))
        {
            tls.DevelopmentCertificateDirectory = Path.Combine(data, "tls");
        }

        _server = new RpcServer<RpcRequest, RpcResponse>(
            RpcServerOptions.From(_options, _options.Port, tls),
            handler,
            loggerFactory.CreateLogger<RpcServer<RpcRequest, RpcResponse>>(),
            certificate: null,
            authenticator);
        await _server.StartAsync(cancellationToken).ConfigureAwait(false);

        var storage = store is SqliteEnvironmentStore sqlite ? $"sqlite:{sqlite.Path}" : "postgresql";
        var certificate = string.IsNullOrWhiteSpace(tls.CertificatePath) ? DevelopmentCertificate.CertificatePath(tls.DevelopmentCertificateDirectory!) : tls.CertificatePath;
        await new EnvironmentEndpoints(System.Environment.ProcessId, _options.BindAddress, _server.Port, [.. _server.Transports.Select(t => t.ToString().ToLowerInvariant())], certificate, storage)
            .WriteAsync(data, cancellationToken).ConfigureAwait(false);
        Log.EnvironmentStarted(_logger, _server.Port, string.Join(", ", _server.Transports), _options.CoreAddress ?? string.Empty, _options.CoreInstanceAddress ?? string.Empty, storage);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_server is not null)
        {
            await _server.StopAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>
    /// No instance stays RUNNING forever after a restart: live processes (same pid and kernel start
    /// time) are watched again; runs whose process is gone are settled with the core (retried or failed).
    /// The environment id is stable across restarts, so this happens at once, before any lease expires.
    /// </summary>
    private async Task RecoverAsync(CancellationToken cancellationToken)
    {
        int adopted = 0, settled = 0;
        Log.EnvironmentIdentity(_logger, supervisor.EnvironmentId, _options.RunLease);
        // Runs of a database from before ownership were this environment's (one environment per database then).
        var unowned = await store.ClaimUnownedRunsAsync(supervisor.EnvironmentId, supervisor.LeaseUntilMs(), cancellationToken).ConfigureAwait(false);
        if (unowned > 0)
        {
            Log.UnownedRunsClaimed(_logger, unowned);
        }

        // Renewed at once: after a short restart what is left of the leases may be less than one renewal interval.
        await store.RenewRunLeasesAsync(supervisor.EnvironmentId, supervisor.LeaseUntilMs(), cancellationToken).ConfigureAwait(false);

        // Only its own runs: another environment's live runs on the same database are not this one's to settle.
        foreach (var run in await store.ListOwnedRunsAsync(supervisor.EnvironmentId, [RunStatus.Pending, RunStatus.Running], cancellationToken).ConfigureAwait(false))
        {
            if (supervisor.TryAdopt(run))
            {
                adopted++;
                continue;
            }

            try
            {
                await supervisor.ReconcileAsync(run, "The environment restarted and the instance's process was gone", cancellationToken).ConfigureAwait(false);
                settled++;
            }
            catch (EnvironmentException ex)
            {
                // The core is unreachable: the heartbeat monitor settles the run later.
                Log.CoreUpdateFailed(_logger, run.InstanceId, ex.Message);
            }
        }

        if (adopted + settled > 0)
        {
            Log.Recovered(_logger, adopted, settled);
        }
    }
}
