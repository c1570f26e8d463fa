using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Runtara.Sdk;

namespace Runtara.Samples.BatchJob;

/// <summary>The batch to process (input.json); an empty input renders 1,000 invoices of run "2026-11".</summary>
public sealed record BatchInput(int Items = 1000, string Period = "2026-11", int WorkMs = 15, int ProgressEvery = 100);

/// <summary>One processed item, checkpointed as the step's result.</summary>
public sealed record ItemResult(int Index, string InvoiceId, string Sha256, long Bytes);

/// <summary>The job's output.</summary>
public sealed record BatchResult(string Period, int Items, long TotalBytes, string Digest, int ProcessedInThisRun, int ReplayedFromCheckpoints);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(BatchInput))]
[JsonSerializable(typeof(BatchResult))]
[JsonSerializable(typeof(ItemResult))]
public sealed partial class BatchJson : JsonSerializerContext;

/// <summary>
/// Renders one invoice per item, with one durable step per item (key <c>invoice/&lt;i&gt;</c>). Kill
/// the process at any point and launch it again with the same instance id: the items already done
/// come back from their checkpoints in microseconds and the job carries on with the first item that
/// was not finished.
/// </summary>
public sealed class BatchJob(InvoiceRenderer renderer, ILogger<BatchJob> logger)
{
    public async Task<BatchResult> RunAsync(WorkflowContext ctx, BatchInput input, CancellationToken ct)
    {
        var processed = 0;
        long totalBytes = 0;
        using var digest = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        for (var i = 0; i < input.Items; i++)
        {
            var index = i;
            var item = await ctx.StepAsync(
                StepKey.For("invoice", index),
                async token =>
                {
                    Interlocked.Increment(ref processed);
                    return await renderer.RenderAsync(input.Period, index, input.WorkMs, token);
                },
                BatchJson.Default.ItemResult,
                cancellationToken: ct);
            totalBytes += item.Bytes;
            digest.AppendData(Encoding.UTF8.GetBytes(item.Sha256));
            if ((i + 1) % input.ProgressEvery == 0)
            {
                Log.Progress(logger, i + 1, input.Items, processed);
            }
        }

        var result = new BatchResult(input.Period, input.Items, totalBytes, Convert.ToHexStringLower(digest.GetHashAndReset()), processed, input.Items - processed);
        Log.Done(logger, input.Period, result.ProcessedInThisRun, result.ReplayedFromCheckpoints);
        return result;
    }
}

/// <summary>Stand-in for real per-item work: builds an invoice document and hashes it.</summary>
public sealed class InvoiceRenderer
{
    public async Task<ItemResult> RenderAsync(string period, int index, int workMs, CancellationToken ct)
    {
        await Task.Delay(workMs, ct);
        var invoiceId = $"INV-{period}-{index + 1:D5}";
        var document = Encoding.UTF8.GetBytes($"{invoiceId}\ncustomer: C{(index * 7919) % 100_000:D5}\namount: {(index % 97) * 3.25m:0.00} EUR\n");
        return new ItemResult(index, invoiceId, Convert.ToHexStringLower(SHA256.HashData(document)), document.Length);
    }
}
