// zod for a command that validates one file and exits (proxy --check, prober --once). zod compiles a
// parser for each object schema with new Function at its first parse, which pays back over many
// parses; for a single one, compiling costs more than it saves (about half of the validation's time).
// Import it for its effect, before any schema is built: zod reads the setting when a schema is made.
import { z } from 'zod';

z.config({ jitless: true });
