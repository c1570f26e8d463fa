using System.Buffers;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace Runtara.Sdk.Workflows;

/// <summary>
/// A step result serialized into a buffer rented from the shared pool, lent to the checkpoint call:
/// every step's state was an array of its own (as large as the result) that lived only until the
/// request was written. <see cref="Return"/> gives the buffer back once the call has answered, which
/// means its request was written whole; after a failed call the buffer is left to the collector,
/// since an abandoned write might still read it.
/// </summary>
internal sealed class PooledJson : IBufferWriter<byte>
{
    private const int InitialSize = 1024;

    // Serializing is synchronous, so a thread's writer serves one step at a time.
    [ThreadStatic]
    private static Utf8JsonWriter? t_writer;

    [ThreadStatic]
    private static JsonSerializerOptions? t_writerOptions;

    // One returned instance per thread, for the thread's next step (the buffer goes back to the pool).
    [ThreadStatic]
    private static PooledJson? t_spare;

    private byte[] _buffer = [];
    private int _written;

    /// <summary>The serialized bytes; valid until <see cref="Return"/>.</summary>
    public ReadOnlyMemory<byte> Written => _buffer.AsMemory(0, _written);

    /// <summary>Serializes <paramref name="value"/> with the options of <paramref name="typeInfo"/> (as <see cref="JsonSerializer.SerializeToUtf8Bytes{TValue}(TValue, JsonTypeInfo{TValue})"/> does).</summary>
    public static PooledJson Serialize<T>(T value, JsonTypeInfo<T> typeInfo)
    {
        var json = t_spare ?? new PooledJson();
        t_spare = null;
        json._buffer = ArrayPool<byte>.Shared.Rent(InitialSize);
        var writer = WriterFor(typeInfo.Options, json);
        try
        {
            JsonSerializer.Serialize(writer, value, typeInfo);
        }
        finally
        {
            // The thread keeps the writer for its next step, not this buffer.
            writer.Reset();
        }

        return json;
    }

    /// <summary>The thread's writer when it was made for <paramref name="options"/> (a writer's options are fixed), else a new one kept in its place.</summary>
    private static Utf8JsonWriter WriterFor(JsonSerializerOptions options, PooledJson output)
    {
        if (t_writer is { } cached && ReferenceEquals(t_writerOptions, options))
        {
            cached.Reset(output);
            return cached;
        }

        t_writerOptions = options;
        return t_writer = new Utf8JsonWriter(output, new JsonWriterOptions
        {
            Encoder = options.Encoder,
            Indented = options.WriteIndented,
            IndentCharacter = options.IndentCharacter,
            IndentSize = options.IndentSize,
            NewLine = options.NewLine,
            MaxDepth = options.MaxDepth,

            // The serializer writes valid JSON and checks its own depth; SerializeToUtf8Bytes skips this too.
            SkipValidation = true,
        });
    }

    public void Return()
    {
        var buffer = _buffer;
        _buffer = [];
        _written = 0;
        ArrayPool<byte>.Shared.Return(buffer);
        t_spare ??= this;
    }

    public void Advance(int count) => _written += count;

    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        Reserve(sizeHint);
        return _buffer.AsMemory(_written);
    }

    public Span<byte> GetSpan(int sizeHint = 0)
    {
        Reserve(sizeHint);
        return _buffer.AsSpan(_written);
    }

    private void Reserve(int sizeHint)
    {
        var needed = _written + Math.Max(sizeHint, 1);
        if (needed <= _buffer.Length)
        {
            return;
        }

        var larger = ArrayPool<byte>.Shared.Rent(Math.Max(needed, _buffer.Length * 2));
        _buffer.AsSpan(0, _written).CopyTo(larger);
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = larger;
    }
}
