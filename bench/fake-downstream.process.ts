// The bench's downstream in a process of its own, so its work doesn't count against the scheduler's.
import { FakeDownstream } from '#ferry/testing';

const fake = await new FakeDownstream({ behaviour: 'succeed' }).start();
process.send?.({ url: fake.url });
process.on('disconnect', () => void fake.close().then(() => process.exit(0)));
