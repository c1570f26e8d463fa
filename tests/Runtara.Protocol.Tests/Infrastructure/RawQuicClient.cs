using System.Buffers.Binary;
using System.Net;
using System.Net.Quic;
using System.Runtime.Versioning;
using Runtara.Protocol.Framing;
using Runtara.Protocol.Security;
using Runtara.Protocol.Transport.Quic;

namespace Runtara.Protocol.Tests.Infrastructure;

/// <summary>How a raw exchange ends its side of the stream after writing its bytes.</summary>
public enum RawQuicEnding
{
    /// <summary>Finish the send side (FIN), as a well-behaved client does.</summary>
    CompleteWrites,

    /// <summary>Leave the send side open while reading the answer.</summary>
    LeaveOpen,

    /// <summary>Reset the send side (RESET_STREAM) after writing.</summary>
    AbortWrites,

    /// <summary>Finish the send side and stop reading at once (STOP_SENDING): the answer is refused.</summary>
    AbortReads,
}

/// <summary>How the server ended its side of a raw exchange.</summary>
public enum RawQuicOutcome
{
    /// <summary>The server finished its side (FIN) after whatever it sent.</summary>
    Completed,

    /// <summary>The server reset its side of the stream.</summary>
    Aborted,

    /// <summary>The whole connection closed.</summary>
    ConnectionClosed,

    /// <summary>Nothing ended the stream within the timeout.</summary>
    TimedOut,

    /// <summary>The client refused the answer (<see cref="RawQuicEnding.AbortReads"/>): nothing was read.</summary>
    NotRead,
}

/// <summary>What came back on one stream: the raw bytes, how the stream ended, and the server's abort code.</summary>
public sealed record RawQuicReply(byte[] Received, RawQuicOutcome Outcome, long? ErrorCode)
{
    /// <summary>Splits <see cref="Received"/> into frames; a trailing partial frame is an error.</summary>
    public IReadOnlyList<(FrameType Type, byte[] Payload)> Frames()
    {
        var frames = new List<(FrameType, byte[])>();
        var rest = Received.AsSpan();
        while (!rest.IsEmpty)
        {
            if (rest.Length < FrameCodec.HeaderSize || rest.Length - FrameCodec.HeaderSize < (long)BinaryPrimitives.ReadUInt32BigEndian(rest))
            {
                throw new InvalidDataException($"the server sent a partial frame ({rest.Length} trailing bytes)");
            }

            var length = (int)BinaryPrimitives.ReadUInt32BigEndian(rest);
            frames.Add((FrameCodec.ToFrameType(BinaryPrimitives.ReadUInt16BigEndian(rest[4..])), rest.Slice(FrameCodec.HeaderSize, length).ToArray()));
            rest = rest[(FrameCodec.HeaderSize + length)..];
        }

        return frames;
    }
}

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
        var connection = await QuicConnection.ConnectAsync(
            new QuicClientConnectionOptions
            {
                RemoteEndPoint = new IPEndPoint(IPAddress.Loopback, port),
                DefaultStreamErrorCode = QuicErrorCodes.StreamAborted,
                DefaultCloseErrorCode = QuicErrorCodes.Closed,
                ClientAuthenticationOptions = TlsDefaults.CreateClientOptions("localhost", tls),
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
