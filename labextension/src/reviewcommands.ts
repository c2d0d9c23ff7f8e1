/**
 * The review commands: open a task's Changes tab, and land a task (its
 * Changes tab opens with the confirmation dialog). The sidebar's Changes
 * button, the log tab's toolbar and the palette run these.
 */
import { JupyterFrontEnd } from '@jupyterlab/application';

import { ClaudeChangesView } from './changes';
import { taskIdFrom } from './commands';
import { CommandIDs } from './ids';

/** Register the review commands; `openChanges` opens (or focuses) a task's Changes tab. */
export function addReviewCommands(
  app: JupyterFrontEnd,
  openChanges: (id: string) => ClaudeChangesView
): void {
  app.commands.addCommand(CommandIDs.openChanges, {
    label: args => (args.id ? `Changes of ${args.id}` : 'Claude: Show changes…'),
    caption: "Show what a task's branch changed, and land it",
    execute: async args => {
      const id = await taskIdFrom(args, 'Show the changes of a task');
      return id ? openChanges(id) : undefined;
    }
  });

  app.commands.addCommand(CommandIDs.land, {
    label: args => (args.id ? `Land ${args.id}…` : 'Claude: Land task…'),
    caption: "Merge a task's branch into the branch the main checkout is on",
    execute: async args => {
      const id = await taskIdFrom(args, 'Land a task');
      return id ? openChanges(id).land() : undefined;
    }
  });
}
