import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { listFolder } from '../../activities/retrieve/list-folder.ts';

describe('listFolder', () => {
  it('lists a folder nested past the system path limit as one unreadable entry, and everything else', async () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'deep-drop-'));
    mkdirSync(path.join(root, 'bilder'));
    writeFileSync(path.join(root, 'bilder', 'a.jpg'), 'x');
    writeFileSync(path.join(root, 'meta.csv'), 'x');
    // 79 levels of patient names (about 4,700 characters): only relative mkdirs from inside get there.
    const made = spawnSync('bash', ['-c', 'cd "$1" && for i in $(seq 1 79); do d="Garcia Pablo Maria Fernanda de los Santos Rodriguez $i"; mkdir "$d" && cd "$d" || exit 1; done; echo x > photo.jpg', '_', root]);
    expect(made.status).toBe(0);

    const listed = await listFolder(root);
    expect(listed.filter((f) => !f.unreadable).map((f) => f.key)).toEqual(['bilder/a.jpg', 'meta.csv']);
    const unreadable = listed.filter((f) => f.unreadable);
    expect(unreadable).toHaveLength(1);
    expect(unreadable[0]!.unreadable).toBe('ENAMETOOLONG');
    expect(unreadable[0]!.key.startsWith('Garcia Pablo')).toBe(true);
  });

  it('throws when the drop folder itself cannot be read', async () => {
    await expect(listFolder(path.join(os.tmpdir(), 'no-such-drop-folder-4711'))).rejects.toThrow(/ENOENT/);
  });
});
