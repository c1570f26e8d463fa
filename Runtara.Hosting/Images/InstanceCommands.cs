using System.Text;
using System.Text.Json;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Runtara.Management;
using Runtara.Protocol.Contracts;

namespace Aspire.Hosting.Images;

/// <summary>
/// The dashboard commands that act on one instance: pause, resume, cancel and send a signal. An image
/// carries them for its latest instance started from the AppHost; each <see cref="RuntaraInstanceResource"/>
/// for itself. "Send signal" asks for the signal's name and a JSON payload as command arguments
/// (<see cref="CommandOptions.Arguments"/>: the dashboard shows them as a form, and Aspire runs
/// <see cref="ValidateSignalArguments"/> before the command); when they still arrive without a name (a
/// client that passed none where Aspire does not prompt), it asks through <see cref="IInteractionService"/>
/// if the dashboard is there, and checks them again itself before sending.
/// </summary>
internal static class InstanceCommands
{
    public const string SignalNameArgument = "name";
    public const string PayloadArgument = "payload";
    public const string CheckpointArgument = "checkpoint";

    /// <summary>The input of "Fork": the checkpoint to fork at.</summary>
    public static IReadOnlyList<InteractionInput> ForkArguments() =>
    [
        new InteractionInput
        {
            Name = CheckpointArgument, Label = "Checkpoint", InputType = InputType.Text, Required = true, Placeholder = "step:charge", MaxLength = 512,
            Description = "The checkpoint to fork at: it and the ones saved before it are copied; the fork runs on from there (see the instance's checkpoints).",
        },
    ];

    /// <summary>The two inputs of "Send signal"; a fresh list each time (the dashboard fills in their values).</summary>
    public static IReadOnlyList<InteractionInput> SignalArguments() =>
    [
        new InteractionInput
        {
            Name = SignalNameArgument, Label = "Signal", InputType = InputType.Text, Required = true, Placeholder = "approve", MaxLength = 200,
            Description = "The name the workflow waits on (ctx.WaitForSignalAsync(\"approve\", …)).",
        },
        new InteractionInput
        {
            Name = PayloadArgument, Label = "Payload (JSON)", InputType = InputType.Text, Required = true, Value = "{}", MaxLength = 64 * 1024,
            Description = "What the wait returns, as JSON; e.g. for the order sample {\"approved\":true,\"approvedBy\":\"ann\"}.",
        },
    ];

    /// <summary>Marks a missing name or a payload that is not JSON on its input, so the dashboard shows the error next to it.</summary>
    public static Task ValidateSignalArguments(InputsDialogValidationContext context)
    {
        if (!TryReadSignal(context.Inputs.GetString(SignalNameArgument), context.Inputs.GetString(PayloadArgument), out _, out _, out var error, out var input))
        {
            context.AddValidationError(input!, error!);
        }

        return Task.CompletedTask;
    }

    /// <summary>Checks a signal's name and JSON payload; the payload is sent as written (UTF-8).</summary>
    /// <param name="name">The signal's name.</param>
    /// <param name="payload">The JSON payload.</param>
    /// <param name="signal">The trimmed name, when valid.</param>
    /// <param name="bytes">The payload's UTF-8 bytes, when valid.</param>
    /// <param name="error">Why it is refused, in words.</param>
    /// <param name="input">The argument the error is about.</param>
    public static bool TryReadSignal(string? name, string? payload, out string signal, out byte[] bytes, out string? error, out string? input)
    {
        signal = name?.Trim() ?? string.Empty;
        bytes = [];
        if (signal.Length == 0)
        {
            (error, input) = ("Give the name of the signal the instance waits for (e.g. approve).", SignalNameArgument);
            return false;
        }

        var json = payload?.Trim() ?? string.Empty;
        if (json.Length == 0)
        {
            (error, input) = ("Give a JSON payload ({} when the wait needs none).", PayloadArgument);
            return false;
        }

        try
        {
            using (JsonDocument.Parse(json))
            {
            }
        }
        catch (JsonException ex)
        {
            (error, input) = ($"The payload is not valid JSON: {ex.Message}", PayloadArgument);
            return false;
        }

        bytes = Encoding.UTF8.GetBytes(json);
        (error, input) = (null, null);
        return true;
    }

    /// <summary>Puts the instance commands on a resource of one instance, enabled by its last polled status.</summary>
    public static void AddTo(RuntaraInstanceResource instance)
    {
        var environment = instance.Parent.Parent;
        var id = instance.InstanceId;
        instance.Annotations.Add(Command(RuntaraImageExtensions.PauseCommand, "Pause", "Send the pause signal to this instance", "Pause",
            _ => instance.Status is InstanceStatus.Running or InstanceStatus.Pending,
            (services, ct) => ControlAsync(environment, instance.Parent, id, services, (c, t) => c.PauseInstanceAsync(id, cancellationToken: t), "Paused", ct)));
        instance.Annotations.Add(Command(RuntaraImageExtensions.ResumeCommand, "Resume", "Relaunch this instance from its last checkpoint", "PlayCircle",
            _ => instance.Status == InstanceStatus.Suspended,
            (services, ct) => ControlAsync(environment, instance.Parent, id, services, (c, t) => c.ResumeInstanceAsync(id, cancellationToken: t), "Resumed", ct)));
        instance.Annotations.Add(Command(RuntaraImageExtensions.CancelCommand, "Cancel", "Send the cancel signal to this instance", "Dismiss",
            _ => !IsTerminal(instance.Status),
            (services, ct) => ControlAsync(environment, instance.Parent, id, services, (c, t) => c.CancelInstanceAsync(id, "cancelled from the Aspire dashboard", cancellationToken: t), "Cancelled", ct),
            confirmation: $"Cancel instance {id}?"));
        instance.Annotations.Add(Command(RuntaraImageExtensions.RerunCommand, "Re-run", "Run this failed or cancelled instance again, as a new instance, from its last successful step", "ArrowRepeatAll",
            _ => instance.Status is InstanceStatus.Failed or InstanceStatus.Cancelled,
            (services, ct) => ForkAsync(environment, instance.Parent, services, (c, t) => c.RerunInstanceAsync(id, cancellationToken: t), $"Re-ran {id}", ct)));
        instance.Annotations.Add(new ResourceCommandAnnotation(
            RuntaraImageExtensions.ForkCommand,
            "Fork",
            _ => ResourceCommandState.Enabled,
            context => ForkAtAsync(instance, context),
            "Start a new instance that replays this one's checkpoints up to the one you name",
            ForkArguments(),
            null,
            "Branch",
            null,
            false,
            new CommandOptions().Visibility,
            null));
        instance.Annotations.Add(new ResourceCommandAnnotation(
            RuntaraImageExtensions.SignalCommand,
            "Send signal",
            _ => IsTerminal(instance.Status) ? ResourceCommandState.Disabled : ResourceCommandState.Enabled,
            context => SendSignalAsync(instance.Parent, id, context),
            "Send a custom signal with a JSON payload to this instance",
            SignalArguments(),
            null,
            "Send",
            null,
            false,
            new CommandOptions().Visibility, // what WithCommand gives a command by default
            ValidateSignalArguments));
    }

    /// <summary>Sends the signal the command's arguments name to <paramref name="instanceId"/>, asking for them when they are missing.</summary>
    public static async Task<ExecuteCommandResult> SendSignalAsync(RuntaraImageResource image, string? instanceId, ExecuteCommandContext context)
    {
        if (instanceId is null)
        {
            return CommandResults.Failure($"No instance of '{image.Name}' was started from the AppHost yet; use the command on one of its instances.");
        }

        var arguments = context.Arguments;
        if (string.IsNullOrWhiteSpace(arguments?.GetString(SignalNameArgument)))
        {
            // Invoked without arguments where Aspire did not ask for them: ask in the dashboard when there is one.
            var interaction = context.Services.GetRequiredService<IInteractionService>();
            if (!interaction.IsAvailable)
            {
                return CommandResults.Failure($"Send signal needs the arguments '{SignalNameArgument}' (e.g. approve) and '{PayloadArgument}' (JSON).");
            }

            var prompt = await interaction.PromptInputsAsync(
                $"Send a signal to {instanceId}",
                "The signal's name and its JSON payload.",
                SignalArguments(),
                new InputsDialogInteractionOptions { ValidationCallback = ValidateSignalArguments },
                context.CancellationToken).ConfigureAwait(false);
            if (prompt.Canceled)
            {
                return CommandResults.Canceled();
            }

            arguments = prompt.Data;
        }

        if (!TryReadSignal(arguments?.GetString(SignalNameArgument), arguments?.GetString(PayloadArgument), out var signal, out var payload, out var error, out _))
        {
            return CommandResults.Failure(error!);
        }

        try
        {
            await using var client = await ImageOperations.CreateClientAsync(image.Parent, context.Services, context.CancellationToken).ConfigureAwait(false);
            await client.SendCustomSignalAsync(instanceId, signal, payload, cancellationToken: context.CancellationToken).ConfigureAwait(false);
        }
        catch (ManagementException ex)
        {
            return CommandResults.Failure($"The signal '{signal}' was not sent to {instanceId}: {ex.Message}");
        }

        Log.SignalSent(context.Logger, image.Name, signal, instanceId, payload.Length);
        image.Watcher?.Poke();
        return CommandResults.Success($"Sent signal '{signal}' to instance {instanceId}");
    }

    private static Task<ExecuteCommandResult> ForkAtAsync(RuntaraInstanceResource instance, ExecuteCommandContext context)
    {
        var checkpoint = context.Arguments?.GetString(CheckpointArgument)?.Trim();
        if (string.IsNullOrEmpty(checkpoint))
        {
            return Task.FromResult(CommandResults.Failure($"Fork needs the argument '{CheckpointArgument}': the checkpoint to fork at (e.g. step:charge)."));
        }

        var id = instance.InstanceId;
        return ForkAsync(instance.Parent.Parent, instance.Parent, context.Services,
            (c, t) => c.ForkInstanceAsync(id, checkpoint, cancellationToken: t), $"Forked {id} at {checkpoint}", context.CancellationToken);
    }

    private static async Task<ExecuteCommandResult> ForkAsync(RuntaraEnvironmentResource environment, RuntaraImageResource image, IServiceProvider services,
        Func<RuntaraManagementClient, CancellationToken, Task<ForkResult>> action, string verb, CancellationToken cancellationToken)
    {
        ForkResult forked;
        try
        {
            await using var client = await ImageOperations.CreateClientAsync(environment, services, cancellationToken).ConfigureAwait(false);
            forked = await action(client, cancellationToken).ConfigureAwait(false);
        }
        catch (ManagementException ex)
        {
            return CommandResults.Failure(ex.Message);
        }

        image.Watcher?.Poke();
        return CommandResults.Success($"{verb}: new instance {forked.InstanceId} replays {forked.CheckpointsCopied} checkpoint(s)");
    }

    private static async Task<ExecuteCommandResult> ControlAsync(RuntaraEnvironmentResource environment, RuntaraImageResource image, string instanceId, IServiceProvider services,
        Func<RuntaraManagementClient, CancellationToken, Task> action, string verb, CancellationToken cancellationToken)
    {
        try
        {
            await using var client = await ImageOperations.CreateClientAsync(environment, services, cancellationToken).ConfigureAwait(false);
            await action(client, cancellationToken).ConfigureAwait(false);
        }
        catch (ManagementException ex)
        {
            return CommandResults.Failure(ex.Message);
        }

        image.Watcher?.Poke();
        return CommandResults.Success($"{verb} instance {instanceId}");
    }

    private static ResourceCommandAnnotation Command(string name, string displayName, string description, string icon, Func<UpdateCommandStateContext, bool> enabled,
        Func<IServiceProvider, CancellationToken, Task<ExecuteCommandResult>> execute, string? confirmation = null) =>
        new(name, displayName, context => enabled(context) ? ResourceCommandState.Enabled : ResourceCommandState.Disabled,
            context => execute(context.Services, context.CancellationToken), description, null, confirmation, icon, null, false);

    private static bool IsTerminal(InstanceStatus status) => status is InstanceStatus.Completed or InstanceStatus.Failed or InstanceStatus.Cancelled;
}
