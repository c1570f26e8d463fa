using System.CommandLine;
using System.Globalization;
using Runtara.Management.Images;
using Spectre.Console;

namespace Runtara.Management.Cli.Commands;

internal static class ImagesCommand
{
    public static Command Build(GlobalOptions globals, CliConsole console)
    {
        var images = new Command("images", "Register, list, show and delete images");
        images.Subcommands.Add(Register(globals, console));
        images.Subcommands.Add(List(globals, console));
        images.Subcommands.Add(Get(globals, console));
        images.Subcommands.Add(Versions(globals, console));
        images.Subcommands.Add(Delete(globals, console));
        return images;
    }

    private static Command Register(GlobalOptions globals, CliConsole console)
    {
        var path = new Argument<FileSystemInfo>("path") { Description = "A single executable, a zip of a published .NET app folder, or the folder itself (zipped for the upload)" };
        var name = new Option<string>("--name", "-n") { Description = "Image name (unique per tenant)", Required = true };
        var description = new Option<string?>("--description") { Description = "Free text" };
        var entrypoint = new Option<string?>("--entrypoint") { Description = "Folder and zip images: the file to launch (e.g. MyWorkflow.dll); default: the only *.runtimeconfig.json's .dll or the only native executable" };
        var command = new Command("register", "Upload an image (streamed, checked by size and SHA-256)") { path, name, description, entrypoint };
        command.SetAction(CliConsole.Action(globals, console, async (result, client, ct) =>
        {
            var given = result.GetValue(path)!;
            if (!given.Exists)
            {
                throw new UsageException($"'{given.FullName}' does not exist");
            }

            await using var archive = given is DirectoryInfo folder ? await ImageArchive.CreateAsync(folder.FullName, ct) : null;
            var file = archive is null ? (FileInfo)given : new FileInfo(archive.Path);

            var options = new RegisterImageOptions { Name = result.GetValue(name)!, Description = result.GetValue(description), Entrypoint = result.GetValue(entrypoint) };
            string imageId;
            if (console.IsInteractive && result.GetValue(globals.Output) == OutputFormat.Table)
            {
                imageId = string.Empty;
                await console.Ansi.Progress().StartAsync(async context =>
                {
                    var task = context.AddTask($"Uploading {Markup.Escape(given.Name)}", maxValue: Math.Max(1, file.Length));
                    imageId = await client.RegisterImageFromFileAsync(file.FullName, options, new Progress<long>(sent => task.Value = sent), ct);
                    task.Value = task.MaxValue;
                });
            }
            else
            {
                imageId = await client.RegisterImageFromFileAsync(file.FullName, options, progress: null, ct);
            }

            if (result.GetValue(globals.Output) == OutputFormat.Json)
            {
                console.WriteJson(await client.GetImageAsync(imageId, cancellationToken: ct));
            }
            else
            {
                await console.Out.WriteLineAsync(imageId);
            }

            return Cli.Success;
        }));
        return command;
    }

    private static Command List(GlobalOptions globals, CliConsole console)
    {
        var limit = new Option<int>("--limit") { Description = "Page size", DefaultValueFactory = _ => 100 };
        var offset = new Option<int>("--offset") { Description = "Rows to skip", DefaultValueFactory = _ => 0 };
        var command = new Command("list", "List images (of the tenant, when one is given)") { limit, offset };
        command.SetAction(CliConsole.Action(globals, console, async (result, client, ct) =>
        {
            var list = await client.ListImagesAsync(limit: result.GetValue(limit), offset: result.GetValue(offset), cancellationToken: ct);
            if (result.GetValue(globals.Output) == OutputFormat.Json)
            {
                console.WriteJson(list);
                return Cli.Success;
            }

            var table = new Table().AddColumns("IMAGE ID", "TENANT", "NAME", "VERSION", "FORMAT", "SIZE", "SHA256", "CREATED");
            foreach (var image in list.Images)
            {
                table.AddRow(image.ImageId, Markup.Escape(image.TenantId), Markup.Escape(image.Name), image.Version.ToString(CultureInfo.InvariantCulture), image.Format, Format.Bytes(image.SizeBytes), image.Sha256[..12], Format.Time(image.CreatedAt));
            }

            console.Ansi.Write(table);
            await console.Out.WriteLineAsync($"{list.Images.Count} of {list.TotalCount} image(s)");
            return Cli.Success;
        }));
        return command;
    }

    private static Command Get(GlobalOptions globals, CliConsole console)
    {
        var id = new Argument<string>("image-id");
        var command = new Command("get", "Show one image") { id };
        command.SetAction(CliConsole.Action(globals, console, async (result, client, ct) =>
        {
            var image = await client.GetImageAsync(result.GetValue(id)!, cancellationToken: ct);
            if (result.GetValue(globals.Output) == OutputFormat.Json)
            {
                console.WriteJson(image);
                return Cli.Success;
            }

            var grid = new Grid().AddColumns(2);
            grid.AddRow("image id", image.ImageId);
            grid.AddRow("tenant", Markup.Escape(image.TenantId));
            grid.AddRow("name", Markup.Escape(image.Name));
            grid.AddRow("version", image.Version.ToString(CultureInfo.InvariantCulture));
            grid.AddRow("description", Markup.Escape(image.Description ?? string.Empty));
            grid.AddRow("format", image.Format);
            grid.AddRow("entrypoint", Markup.Escape(image.Entrypoint));
            grid.AddRow("size", Format.Bytes(image.SizeBytes));
            grid.AddRow("sha256", image.Sha256);
            grid.AddRow("created", Format.Time(image.CreatedAt));
            console.Ansi.Write(grid);
            return Cli.Success;
        }));
        return command;
    }

    private static Command Versions(GlobalOptions globals, CliConsole console)
    {
        var image = new Argument<string>("image") { Description = "Image id or name" };
        var command = new Command("versions", "List an image's versions, newest first (instances stay on the version they started on)") { image };
        command.SetAction(CliConsole.Action(globals, console, async (result, client, ct) =>
        {
            var versions = await client.ListImageVersionsAsync(result.GetValue(image)!, cancellationToken: ct);
            if (result.GetValue(globals.Output) == OutputFormat.Json)
            {
                console.WriteJson(versions);
                return Cli.Success;
            }

            var table = new Table().AddColumns("VERSION", "IMAGE ID", "NAME", "FORMAT", "ENTRYPOINT", "SIZE", "SHA256", "REGISTERED");
            foreach (var version in versions)
            {
                table.AddRow(version.Version.ToString(CultureInfo.InvariantCulture), version.ImageId, Markup.Escape(version.Name), version.Format, Markup.Escape(version.Entrypoint),
                    Format.Bytes(version.SizeBytes), version.Sha256[..12], Format.Time(version.CreatedAt));
            }

            console.Ansi.Write(table);
            return Cli.Success;
        }));
        return command;
    }

    private static Command Delete(GlobalOptions globals, CliConsole console)
    {
        var id = new Argument<string>("image-id");
        var version = new Option<int?>("--version") { Description = "Delete only this version (refused while an unfinished instance is pinned to it)" };
        var command = new Command("delete", "Delete an image with all its versions, or one version (refused while instances of it run or are suspended)") { id, version };
        command.SetAction(CliConsole.Action(globals, console, async (result, client, ct) =>
        {
            var imageId = result.GetValue(id)!;
            var only = result.GetValue(version);
            if (only is { } v)
            {
                await client.DeleteImageVersionAsync(imageId, v, cancellationToken: ct);
            }
            else
            {
                await client.DeleteImageAsync(imageId, cancellationToken: ct);
            }

            if (result.GetValue(globals.Output) == OutputFormat.Json)
            {
                console.WriteJson(only is null ? new { deleted = imageId, version = (int?)null } : new { deleted = imageId, version = only });
            }
            else
            {
                await console.Out.WriteLineAsync(only is null ? $"Deleted: {imageId}" : string.Create(CultureInfo.InvariantCulture, $"Deleted: {imageId} version {only}"));
            }

            return Cli.Success;
        }));
        return command;
    }
}
