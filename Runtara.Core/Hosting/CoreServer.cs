using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Runtara.Core.Diagnostics;
using Runtara.Core.Rpc;
using Runtara.Core.Security;
using Runtara.Engine.Storage;
using Runtara.Protocol.Rpc;
using Runtara.Protocol.Security;
using Inst = Runtara.Protocol.Instance;
using Mgmt = Runtara.Protocol.Management;

namespace Runtara.Core.Hosting;

/// <summary>
/// Starts the core: storage (migrations, writer), then the instance and management protocol
/// servers, then announces the bound endpoints. Stopping drains in-flight RPCs before the store
/// (disposed by the container afterwards) commits what is queued.
/// </summary>
internal sealed class CoreServer(
    ICoreStore store,
    InstanceRpcHandler instanceHandler,
    ManagementRpcHandler managementHandler,
    InstanceAuthenticator instanceAuthenticator,
    ManagementAuthenticator managementAuthenticator,
    IOptions<CoreOptions> options,
    ILoggerFactory loggerFactory) : IHostedService, IAsyncDisposable
{
    private readonly CoreOptions _options = options.Value;
    private readonly ILogger _logger = loggerFactory.CreateLogger<CoreServer>();
    private RpcServer<Inst.RpcRequest, Inst.RpcResponse>? _instanceServer;
    private RpcServer<Mgmt.RpcRequest, Mgmt.RpcResponse>? _managementServer;
    private X509Certificate2? _certificate;

    /// <summary>The bound endpoints, once started.</summary>
    public CoreEndpoints? Endpoints { get; private set; }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var dataDirectory = _options.ResolveDataDirectory();
        Directory.CreateDirectory(dataDirectory);

        // A core killed earlier (e.g. on a full disk) may have left its file and temporary files.
        foreach (var stale in CoreEndpoints.RemoveStale(dataDirectory))
        {
            Log.StaleEndpointsFileRemoved(_logger, stale);
        }

        await store.InitializeAsync(cancellationToken).ConfigureAwait(false);

        var tls = _options.Tls;
        string? pinned = null;
        if (string.IsNullOrWhiteSpace(tls.CertificatePath))
        {
            var directory = tls.DevelopmentCertificateDirectory ?? Path.Combine(dataDirectory, "tls");
            tls = new ServerTlsOptions { DevelopmentCertificateDirectory = directory };
            pinned = DevelopmentCertificate.CertificatePath(directory);
            Log.DevelopmentCertificate(_logger, pinned);
        }

        // One certificate for both ports.
        _certificate = CertificateLoader.LoadServerCertificate(tls);
        var managementTls = new ServerTlsOptions
        {
            CertificatePath = tls.CertificatePath,
            KeyPath = tls.KeyPath,
            Password = tls.Password,
            DevelopmentCertificateDirectory = tls.DevelopmentCertificateDirectory,
            RequireClientCertificate = _options.ManagementRequireClientCertificate,
            ClientCaCertificatePath = _options.ManagementClientCaCertificatePath,
        };
        var instanceOptions = RpcServerOptions.From(_options, _options.InstancePort, tls);
        instanceOptions.UnixSocketPath = _options.ResolveInstanceSocketPath();
        if (_options.InstanceSocket && instanceOptions.UnixSocketPath is null)
        {
            Log.InstanceSocketSkipped(_logger, dataDirectory);
        }

        _instanceServer = new(instanceOptions, instanceHandler, loggerFactory.CreateLogger("Runtara.Core.InstanceProtocol"), _certificate, instanceAuthenticator);
        _managementServer = new(RpcServerOptions.From(_options, _options.ManagementPort, managementTls), managementHandler, loggerFactory.CreateLogger("Runtara.Core.ManagementProtocol"), _certificate, managementAuthenticator);
        await _instanceServer.StartAsync(cancellationToken).ConfigureAwait(false);
        await _managementServer.StartAsync(cancellationToken).ConfigureAwait(false);

        // Lower case, as the environment's endpoints file and RUNTARA_TRANSPORT spell them.
        var transports = _instanceServer.Transports.Select(t => t.ToString().ToLowerInvariant()).ToArray();
        Endpoints = new CoreEndpoints(Environment.ProcessId, _options.BindAddress, _instanceServer.Port, _managementServer.Port, transports, pinned, store.Backend)
        {
            InstanceSocket = instanceOptions.UnixSocketPath,
        };
        var endpointsFile = Path.Combine(dataDirectory, CoreEndpoints.FileName);
        try
        {
            await Endpoints.WriteAsync(dataDirectory, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // The file only helps a starter find port-0 ports; a core that listens and serves is not
            // stopped for it (e.g. on a full disk, where storage answers RESOURCE_EXHAUSTED until space
            // is freed). The ports are in the log line below.
            Log.EndpointsFileNotWritten(_logger, endpointsFile, ex);
            endpointsFile = "(not written)";
        }

        Log.CoreListening(_logger, Endpoints.InstancePort, Endpoints.InstanceSocket ?? "(none)", Endpoints.ManagementPort, string.Join("+", transports), endpointsFile);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_instanceServer is not null)
        {
            await _instanceServer.StopAsync(cancellationToken).ConfigureAwait(false);
        }

        if (_managementServer is not null)
        {
            await _managementServer.StopAsync(cancellationToken).ConfigureAwait(false);
        }

        Log.CoreStopped(_logger);
    }

    public async ValueTask DisposeAsync()
    {
        if (_instanceServer is not null)
        {
            await _instanceServer.DisposeAsync().ConfigureAwait(false);
        }

        if (_managementServer is not null)
        {
            await _managementServer.DisposeAsync().ConfigureAwait(false);
        }

        _certificate?.Dispose();
    }
}
