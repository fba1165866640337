// Specs for the `essential` option (API.md sections 3 and 9): validated, shown in the snapshot.
import { expect } from 'chai';
import { Service } from '../../lib/index.js';

describe('Service', () => {
  describe('essential option', () => {
    it('is true unless set, and the snapshot says essential: false only for a service that is not', () => {
      const app = new Service({ name: 'app' });
      app.addDependency(new Service({ name: 'migration', essential: false }));
      app.addDependency(new Service({ name: 'db', essential: true }));
      const [migration, db] = app.toJSON().children;
      expect(app.toJSON().essential).to.equal(undefined);
      expect(migration!.essential).to.equal(false);
      expect(db!.essential).to.equal(undefined);
    });

    it('refuses a value that is not a boolean with a TypeError naming it', () => {
      expect(() => new Service({ essential: 'no' as never })).to.throw(
        TypeError,
        /essential must be a boolean; received "no"/,
      );
    });
  });
});
