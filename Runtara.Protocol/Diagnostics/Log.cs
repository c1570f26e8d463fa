using System.Net;
using Microsoft.Extensions.Logging;
using Runtara.Protocol.Transport;

namespace Runtara.Diagnostics;

/// <summary>Source-generated log messages of the protocol layer (event ids 1000–1099).</summary>
internal static partial class Log
{
    [LoggerMessage(1000, LogLevel.Information, "Runtara {Service} server listening on {Transport} {EndPoint}", EventName = "ServerListening")]
    public static partial void ServerListening(ILogger logger, string service, TransportKind transport, EndPoint endPoint);

    [LoggerMessage(1001, LogLevel.Information, "Transport {Requested} resolved to {Chosen} (QUIC supported here: {QuicSupported})", EventName = "TransportChosen")]
    public static partial void TransportChosen(ILogger logger, TransportKind requested, TransportKind chosen, bool quicSupported);

    [LoggerMessage(1002, LogLevel.Information, "Runtara {Service} server stopped", EventName = "ServerStopped")]
    public static partial void ServerStopped(ILogger logger, string service);

    [LoggerMessage(1003, LogLevel.Warning, "Runtara {Service} server: in-flight RPCs did not finish within {DrainTimeout}; cancelling them", EventName = "DrainTimedOut")]
    public static partial void DrainTimedOut(ILogger logger, string service, TimeSpan drainTimeout);

    [LoggerMessage(1010, LogLevel.Warning, "Connection from {RemoteEndPoint} refused: {Reason}", EventName = "ConnectionRejected")]
    public static partial void ConnectionRejected(ILogger logger, EndPoint remoteEndPoint, string reason);

    [LoggerMessage(1011, LogLevel.Debug, "Connection from {RemoteEndPoint} ended with an error", EventName = "ConnectionFailed")]
    public static partial void ConnectionFailed(ILogger logger, EndPoint remoteEndPoint, Exception exception);

    [LoggerMessage(1012, LogLevel.Debug, "TLS handshake with {RemoteEndPoint} failed", EventName = "HandshakeFailed")]
    public static partial void HandshakeFailed(ILogger logger, EndPoint remoteEndPoint, Exception exception);

    // Debug, not Warning: a hostile client could otherwise flood the log; operators watch the
    // runtara.rpc.server.frame_errors counter instead.
    [LoggerMessage(1013, LogLevel.Debug, "Bad frame from {RemoteEndPoint}: {Code} {Message}", EventName = "BadFrame")]
    public static partial void BadFrame(ILogger logger, EndPoint remoteEndPoint, string code, string message);

    [LoggerMessage(1014, LogLevel.Error, "Accept loop of {Transport} listener failed", EventName = "AcceptFailed")]
    public static partial void AcceptFailed(ILogger logger, TransportKind transport, Exception exception);

    [LoggerMessage(1020, LogLevel.Error, "RPC {Service}/{Method} failed with an unexpected exception", EventName = "HandlerFailed")]
    public static partial void HandlerFailed(ILogger logger, string service, string method, Exception exception);

    [LoggerMessage(1021, LogLevel.Warning, "One-way RPC {Service}/{Method} failed: {Code} {Message}", EventName = "OneWayFailed")]
    public static partial void OneWayFailed(ILogger logger, string service, string method, string code, string message);

    [LoggerMessage(1022, LogLevel.Information, "RPC {Service}/{Method} from {RemoteEndPoint} refused: {Code} {Reason}", EventName = "CallRefused")]
    public static partial void CallRefused(ILogger logger, string service, string method, EndPoint remoteEndPoint, string code, string reason);

    [LoggerMessage(1015, LogLevel.Warning, "Connection from {RemoteEndPoint} closed: a request frame did not arrive within {Timeout}", EventName = "RequestReadTimedOut")]
    public static partial void RequestReadTimedOut(ILogger logger, EndPoint remoteEndPoint, TimeSpan timeout);

    [LoggerMessage(1031, LogLevel.Warning, "Server {Address} cannot be reached ({Reason}); trying {Next}", EventName = "ServerUnreachableTryingNext")]
    public static partial void ServerUnreachableTryingNext(ILogger logger, string address, string next, string reason);

    [LoggerMessage(1032, LogLevel.Information, "Connections go to {Address} now ({Previous} could not be reached)", EventName = "FailedOver")]
    public static partial void FailedOver(ILogger logger, string previous, string address);

    [LoggerMessage(1030, LogLevel.Warning, "Certificate verification is DISABLED for {Address} (DangerousSkipCertificateVerification): the connection is not protected against impersonation", EventName = "CertificateVerificationDisabled")]
    public static partial void CertificateVerificationDisabled(ILogger logger, string address);
}
