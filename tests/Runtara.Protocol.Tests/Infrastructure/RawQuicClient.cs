using System.Net;
using System.Net.Quic;
using System.Runtime.Versioning;
using Runtara.Protocol.Security;
using Runtara.Protocol.Transport.Quic;

namespace Runtara.Protocol.Tests.Infrastructure;

/// <summary>
/// A bare QUIC connection (ALPN <c>runtara/1</c>, pinned certificate) that writes arbitrary bytes on
/// a new bidirectional stream per exchange and reads whatever comes back, for hostile-input tests.
/// </summary>
[SupportedOSPlatform("linux")]
[SupportedOSPlatform("windows")]
[SupportedOSPlatform("macos")]
public sealed class RawQuicClient : IAsyncDisposable
{
    // Answers of the RPC layer are small; a test never needs more, and a runaway server is caught.
    private const int MaxReplyBytes = 1024 * 1024;
    private readonly QuicConnection _connection;

    private RawQuicClient(QuicConnection connection) => _connection = connection;

    public static async Task<RawQuicClient> ConnectAsync(int port, ClientTlsOptions tls, TimeSpan timeout)
    {
        using var cancellation = new CancellationTokenSource(timeout);
        // runtara/1 only, as runtara 1.4.1 clients: one exchange per stream, then the stream ends.
        var clientTls = TlsDefaults.CreateClientOptions("localhost", tls);
        clientTls.ApplicationProtocols = [TlsDefaults.ApplicationProtocol];
        var connection = await QuicConnection.ConnectAsync(
            new QuicClientConnectionOptions
            {
                RemoteEndPoint = new IPEndPoint(IPAddress.Loopback, port),
                DefaultStreamErrorCode = QuicErrorCodes.StreamAborted,
                DefaultCloseErrorCode = QuicErrorCodes.Closed,
                ClientAuthenticationOptions = clientTls,
                MaxInboundBidirectionalStreams = 0,
                MaxInboundUnidirectionalStreams = 0,
                IdleTimeout = TimeSpan.FromSeconds(30),
            },
            cancellation.Token);
        return new RawQuicClient(connection);
    }

    /// <summary>
    /// Opens a stream, writes <paramref name="bytes"/>, ends its side as <paramref name="ending"/> says,
    /// and reads until the server finishes or aborts its side (or <paramref name="timeout"/> passes).
    /// </summary>
    public async Task<RawQuicReply> ExchangeAsync(ReadOnlyMemory<byte> bytes, RawQuicEnding ending, TimeSpan timeout)
    {
        using var cancellation = new CancellationTokenSource(timeout);
        QuicStream stream;
        try
        {
            stream = await _connection.OpenOutboundStreamAsync(QuicStreamType.Bidirectional, cancellation.Token);
        }
        catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
        {
            return new RawQuicReply([], RawQuicOutcome.TimedOut, null);
        }
        catch (QuicException ex) when (ex.QuicError is QuicError.ConnectionAborted or QuicError.ConnectionIdle or QuicError.OperationAborted)
        {
            return new RawQuicReply([], RawQuicOutcome.ConnectionClosed, ex.ApplicationErrorCode);
        }

        await using (stream)
        {
            try
            {
                await stream.WriteAsync(bytes, completeWrites: ending is RawQuicEnding.CompleteWrites or RawQuicEnding.AbortReads, cancellation.Token);
            }
            catch (QuicException ex) when (ex.QuicError == QuicError.StreamAborted)
            {
                // The server stopped reading (e.g. after refusing an oversize header); its answer may still be readable.
            }

            switch (ending)
            {
                case RawQuicEnding.AbortWrites:
                    stream.Abort(QuicAbortDirection.Write, QuicErrorCodes.StreamAborted);
                    break;
                case RawQuicEnding.AbortReads:
                    stream.Abort(QuicAbortDirection.Read, QuicErrorCodes.StreamAborted);
                    return new RawQuicReply([], RawQuicOutcome.NotRead, null);
            }

            return await ReadToEndAsync(stream, cancellation);
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await _connection.CloseAsync(QuicErrorCodes.Closed);
        }
        catch (QuicException)
        {
            // Already closed by the peer.
        }

        await _connection.DisposeAsync();
    }

    private static async Task<RawQuicReply> ReadToEndAsync(QuicStream stream, CancellationTokenSource cancellation)
    {
        using var received = new MemoryStream();
        var buffer = new byte[16 * 1024];
        try
        {
            int read;
            while ((read = await stream.ReadAsync(buffer, cancellation.Token)) > 0)
            {
                received.Write(buffer, 0, read);
                if (received.Length > MaxReplyBytes)
                {
                    throw new InvalidDataException($"the server sent more than {MaxReplyBytes} bytes on one stream");
                }
            }

            return new RawQuicReply(received.ToArray(), RawQuicOutcome.Completed, null);
        }
        catch (QuicException ex) when (ex.QuicError == QuicError.StreamAborted)
        {
            return new RawQuicReply(received.ToArray(), RawQuicOutcome.Aborted, ex.ApplicationErrorCode);
        }
        catch (QuicException ex) when (ex.QuicError is QuicError.ConnectionAborted or QuicError.ConnectionIdle or QuicError.OperationAborted)
        {
            return new RawQuicReply(received.ToArray(), RawQuicOutcome.ConnectionClosed, ex.ApplicationErrorCode);
        }
        catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
        {
            return new RawQuicReply(received.ToArray(), RawQuicOutcome.TimedOut, null);
        }
    }
}
