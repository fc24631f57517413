import { describe, expect, it } from '@jest/globals';
import { JobAdmission } from './job-admission.js';

describe('JobAdmission', () => {
  it('admits jobs up to maxJobs, then refuses until one is released', () => {
    const a = new JobAdmission({ maxJobs: 2, maxQueuedFiles: 100 });
    expect(a.take('j1', 1)).toBeUndefined();
    expect(a.take('j2', 1)).toBeUndefined();
    expect(a.take('j3', 1)).toEqual({ limit: 'jobs', message: expect.stringMatching(/limit of 2 sync jobs/) });
    expect(a.jobs).toBe(2);
    a.release('j1');
    expect(a.take('j3', 1)).toBeUndefined();
  });

  it('admits files up to maxQueuedFiles, all of a job or none of it, and gives them back file by file', () => {
    const a = new JobAdmission({ maxJobs: 10, maxQueuedFiles: 5 });
    expect(a.take('j1', 3)).toBeUndefined();
    expect(a.take('j2', 3)).toEqual({ limit: 'files', message: expect.stringMatching(/3 files of its limit of 5/) });
    expect({ jobs: a.jobs, files: a.queuedFiles }).toEqual({ jobs: 1, files: 3 });
    a.fileDone('j1');
    expect(a.take('j2', 3)).toBeUndefined();
    expect(a.queuedFiles).toBe(5);
  });

  it('lets a job of more files than the bound run once no other files are held', () => {
    const a = new JobAdmission({ maxJobs: 10, maxQueuedFiles: 3 });
    expect(a.take('small', 1)).toBeUndefined();
    expect(a.take('big', 7)).toEqual({ limit: 'files', message: expect.any(String) });
    a.release('small');
    expect(a.take('big', 7)).toBeUndefined();
    expect(a.queuedFiles).toBe(3);
  });

  it('takes a job it already holds at no cost, and never counts a file twice', () => {
    const a = new JobAdmission({ maxJobs: 1, maxQueuedFiles: 2 });
    expect(a.take('j1', 2)).toBeUndefined();
    expect(a.take('j1', 2)).toBeUndefined();
    expect(a.queuedFiles).toBe(2);
    // A resumed job runs files that had ended already: their ends give back nothing more.
    for (let i = 0; i < 4; i++) a.fileDone('j1');
    expect(a.queuedFiles).toBe(0);
    a.release('j1');
    a.release('j1');
    a.fileDone('unknown');
    expect({ jobs: a.jobs, files: a.queuedFiles }).toEqual({ jobs: 0, files: 0 });
  });
});
