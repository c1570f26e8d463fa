using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Images;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Runtara.Protocol.Contracts;

#pragma warning disable ASPIREINTERACTION001 // InteractionInput: the arguments of the "Send signal" command.

namespace Runtara.Hosting.Tests;

/// <summary>An image's recent instances as child resources with their own commands, and the "Send signal" command (no process started).</summary>
public sealed class InstanceResourcesTests
{
    [Fact]
    public void Instance_resources_are_named_after_their_image_and_a_short_id_and_never_collide()
    {
        var taken = new HashSet<string>(StringComparer.Ordinal);

        var uuid = InstanceWatcher.ResourceName("order-workflow", "3F2A9C1B-0000-4000-8000-000000000001", taken);
        taken.Add(uuid);
        var chosen = InstanceWatcher.ResourceName("order-workflow", "orders/2026 #7", taken);
        taken.Add(chosen);
        var sameStart = InstanceWatcher.ResourceName("order-workflow", "3f2a9c1b-0000-4000-8000-000000000002", taken);

        Assert.Equal("order-workflow-3f2a9c1b", uuid);
        Assert.Equal("order-workflow-orders-2026--7", chosen);
        Assert.Equal("order-workflow-3f2a9c1b-0000-4000-8000-000000000002", sameStart);
    }

    [Fact]
    public void An_instance_resource_sits_under_its_image_with_commands_enabled_by_its_status()
    {
        var image = Image();
        var instance = Instance(image, "i-1");

        InstanceCommands.AddTo(instance);

        Assert.Same(image, instance.Parent);
        var commands = instance.Annotations.OfType<ResourceCommandAnnotation>().ToDictionary(c => c.Name);
        Assert.Equal(
            [RuntaraImageExtensions.PauseCommand, RuntaraImageExtensions.ResumeCommand, RuntaraImageExtensions.CancelCommand, RuntaraImageExtensions.RerunCommand, RuntaraImageExtensions.ForkCommand, RuntaraImageExtensions.SignalCommand],
            commands.Keys);
        Assert.Equal([InstanceCommands.SignalNameArgument, InstanceCommands.PayloadArgument], commands[RuntaraImageExtensions.SignalCommand].Arguments!.Select(a => a.Name));
        Assert.Equal([InstanceCommands.CheckpointArgument], commands[RuntaraImageExtensions.ForkCommand].Arguments!.Select(a => a.Name));

        var (disabled, enabled) = (ResourceCommandState.Disabled, ResourceCommandState.Enabled);
        instance.Status = InstanceStatus.Suspended;
        Assert.Equal([disabled, enabled, enabled, disabled, enabled, enabled], commands.Values.Select(c => c.UpdateState(StateContext())));

        // A finished instance can still be forked; a failed one re-run.
        instance.Status = InstanceStatus.Completed;
        Assert.Equal([disabled, disabled, disabled, disabled, enabled, disabled], commands.Values.Select(c => c.UpdateState(StateContext())));
        instance.Status = InstanceStatus.Failed;
        Assert.Equal([disabled, disabled, disabled, enabled, enabled, disabled], commands.Values.Select(c => c.UpdateState(StateContext())));
    }

    [Fact]
    public async Task Fork_without_a_checkpoint_fails_with_the_reason_and_calls_nothing()
    {
        var instance = Instance(Image(), "i-1");
        InstanceCommands.AddTo(instance);
        var command = instance.Annotations.OfType<ResourceCommandAnnotation>().Single(c => c.Name == RuntaraImageExtensions.ForkCommand);
        using var services = new ServiceCollection().BuildServiceProvider();

        var result = await command.ExecuteCommand(new ExecuteCommandContext
        {
            Services = services,
            ResourceName = instance.Name,
            CancellationToken = CancellationToken.None,
            Logger = NullLogger.Instance,
            Arguments = new InteractionInputCollection([new InteractionInput { Name = InstanceCommands.CheckpointArgument, InputType = InputType.Text, Label = "Checkpoint", Value = " " }]),
        });

        Assert.False(result.Success);
        Assert.Contains("checkpoint to fork at", result.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("approve", """{"approved":true,"approvedBy":"ann"}""", true, null)]
    [InlineData(" approve ", "{}", true, null)]
    [InlineData("", "{}", false, InstanceCommands.SignalNameArgument)]
    [InlineData("approve", """{"approved":true,""", false, InstanceCommands.PayloadArgument)]
    [InlineData("approve", "approved", false, InstanceCommands.PayloadArgument)]
    [InlineData("approve", "  ", false, InstanceCommands.PayloadArgument)]
    public void A_signal_needs_a_name_and_a_json_payload(string name, string payload, bool valid, string? wrongInput)
    {
        var ok = InstanceCommands.TryReadSignal(name, payload, out var signal, out var bytes, out var error, out var input);

        Assert.Equal(valid, ok);
        Assert.Equal(wrongInput, input);
        if (valid)
        {
            Assert.Equal("approve", signal);
            Assert.Equal(payload.Trim(), System.Text.Encoding.UTF8.GetString(bytes));
            Assert.Null(error);
        }
        else
        {
            Assert.False(string.IsNullOrWhiteSpace(error));
        }
    }

    [Fact]
    public async Task Send_signal_with_a_payload_that_is_not_json_fails_with_the_reason_and_sends_nothing()
    {
        var instance = Instance(Image(), "i-1");
        InstanceCommands.AddTo(instance);
        var command = instance.Annotations.OfType<ResourceCommandAnnotation>().Single(c => c.Name == RuntaraImageExtensions.SignalCommand);
        var arguments = command.Arguments!.Select(a => new InteractionInput { Name = a.Name, InputType = a.InputType, Label = a.Label }).ToList();
        arguments[0].Value = "approve";
        arguments[1].Value = "{approved: yes}";

        // No services: a valid payload would need the environment's client, so reaching it would throw.
        using var services = new ServiceCollection().BuildServiceProvider();
        var result = await command.ExecuteCommand(new ExecuteCommandContext
        {
            Services = services,
            ResourceName = instance.Name,
            CancellationToken = CancellationToken.None,
            Logger = NullLogger.Instance,
            Arguments = new InteractionInputCollection(arguments),
        });

        Assert.False(result.Success);
        Assert.StartsWith("The payload is not valid JSON", result.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_suspended_instance_shows_what_it_waits_for_in_its_state()
    {
        Assert.Equal("Suspended: waiting for signal approve", InstanceWatcher.StateOf(InstanceStatus.Suspended, "waiting for signal approve").Text);
        Assert.Equal("Running", InstanceWatcher.StateOf(InstanceStatus.Running, null).Text);
        Assert.Equal(KnownResourceStateStyles.Error, InstanceWatcher.StateOf(InstanceStatus.Failed, null).Style);
    }

    private static RuntaraImageResource Image()
    {
        var builder = DistributedApplication.CreateBuilder();
        return builder.AddRuntaraEnvironment("environment").AddImage("order-workflow", "../samples/Runtara.Samples.OrderWorkflow/Runtara.Samples.OrderWorkflow.csproj").Resource;
    }

    private static RuntaraInstanceResource Instance(RuntaraImageResource image, string id) =>
        new(InstanceWatcher.ResourceName(image.Name, id, new HashSet<string>()), image, id);

    private static UpdateCommandStateContext StateContext() => new()
    {
        ResourceSnapshot = new CustomResourceSnapshot { ResourceType = InstanceWatcher.InstanceResourceType, Properties = [] },
        Services = new ServiceCollection().BuildServiceProvider(),
    };
}
